"""The git tool's inspection operations on real repositories in every state: clean, dirty,
detached HEAD, stopped in a merge, without commits, and no repository at all."""

from pathlib import Path

import pytest

from devcli.tools.base import ArgumentError, ToolResult
from devcli.tools.git_tool import GitArgs, GitTool
from tests.support.git_histories import (
    ISOLATED_GIT,
    commit_files,
    git,
    new_repo,
    repo_with_history,
    start_conflicting_merge,
)


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ISOLATED_GIT.items():
        monkeypatch.setenv(name, value)


def run(tool: GitTool, **arguments: object) -> ToolResult:
    return tool.execute(tool.parse_arguments(dict(arguments)))


def section(text: str, title: str) -> list[str]:
    """The indented entries under `title (N):` in a status report."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    entries = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        entries.append(" ".join(line.split()))
    return entries


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    return repo_with_history(tmp_path / "clean")


@pytest.fixture
def dirty(clean: Path) -> Path:
    """README.md staged, app.py changed but not staged, notes.txt untracked."""
    (clean / "README.md").write_text("# Demo\n\nRun app.py with python.\n")
    git(clean, "add", "README.md")
    (clean / "app.py").write_text("print('one')\nprint('three')\n")
    (clean / "notes.txt").write_text("scratch\n")
    return clean


@pytest.fixture
def detached(clean: Path) -> Path:
    git(clean, "checkout", "-q", "--detach", "HEAD~1")
    return clean


@pytest.fixture
def merging(clean: Path) -> Path:
    start_conflicting_merge(clean)
    return clean


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    """No commits; first.txt staged, loose.txt untracked."""
    repo = new_repo(tmp_path / "empty")
    (repo / "first.txt").write_text("hello\n")
    git(repo, "add", "first.txt")
    (repo / "loose.txt").write_text("loose\n")
    return repo


# -- status --------------------------------------------------------------------------------


def test_status_of_a_clean_repository(clean: Path) -> None:
    result = run(GitTool(clean), operation="status")
    assert not result.is_error
    assert result.content.startswith("On branch main, which tracks no upstream branch.")
    assert "Nothing to commit" in result.content


def test_status_sorts_staged_unstaged_and_untracked(dirty: Path) -> None:
    text = run(GitTool(dirty), operation="status").content
    assert section(text, "Staged for commit") == ["modified README.md"]
    assert section(text, "Not staged") == ["modified app.py"]
    assert section(text, "Untracked") == ["notes.txt"]
    assert "Nothing to commit" not in text


def test_status_reports_ahead_and_behind_its_upstream(clean: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(clean), str(clone))
    git(clone, "config", "user.name", "Clone")
    git(clone, "config", "user.email", "clone@example.com")
    commit_files(clone, {"local.txt": "mine\n"}, "Local work")
    commit_files(clean, {"remote.txt": "theirs\n"}, "Remote work")
    git(clone, "fetch", "-q")
    text = run(GitTool(clone), operation="status").content
    assert text.startswith("On branch main, tracking origin/main: 1 commit ahead, 1 behind.")


def test_status_on_a_detached_head_says_so(detached: Path) -> None:
    short = git(detached, "rev-parse", "--short", "HEAD").strip()
    text = run(GitTool(detached), operation="status").content
    assert text.startswith(f"HEAD is detached at {short} Print two")


def test_status_in_the_middle_of_a_merge(merging: Path) -> None:
    text = run(GitTool(merging), operation="status").content
    assert "A merge is in progress" in text
    assert section(text, "Unmerged, needing resolution") == ["both modified app.py"]


def test_status_without_commits(empty: Path) -> None:
    text = run(GitTool(empty), operation="status").content
    assert text.startswith("On branch main, which has no commits yet.")
    assert section(text, "Staged for commit") == ["new file first.txt"]
    assert section(text, "Untracked") == ["loose.txt"]


def test_status_limited_to_paths(dirty: Path) -> None:
    text = run(GitTool(dirty), operation="status", paths=[str(dirty / "app.py")]).content
    assert "app.py" in text and "README.md" not in text and "notes.txt" not in text


def test_status_outside_any_repository_is_an_observation(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    result = run(GitTool(folder), operation="status")
    assert result.is_error
    assert "is not inside a git repository" in result.content
    assert "Traceback" not in result.content


def test_status_warns_about_a_locked_index(clean: Path) -> None:
    (clean / ".git" / "index.lock").write_text("")
    result = run(GitTool(clean), operation="status")
    assert not result.is_error
    assert "The index is locked" in result.content


# -- diff ----------------------------------------------------------------------------------


def test_diff_shows_staged_and_unstaged_changes_against_head(dirty: Path) -> None:
    text = run(GitTool(dirty), operation="diff").content
    assert "diff --git a/README.md b/README.md" in text
    assert "+print('three')" in text and "-print('two')" in text
    assert "2 files changed" in text
    assert "1 untracked file or folder not shown" in text


def test_diff_staged_shows_only_the_index(dirty: Path) -> None:
    text = run(GitTool(dirty), operation="diff", staged=True).content
    assert "+Run app.py with python." in text
    assert "app.py b/app.py" not in text


def test_diff_between_two_revisions(clean: Path) -> None:
    text = run(GitTool(clean), operation="diff", revision="HEAD~2..HEAD").content
    assert text.startswith("Changes from HEAD~2 to HEAD:")
    assert "+print('two')" in text and "+Run app.py." in text


def test_diff_from_a_revision_to_the_work_tree(dirty: Path) -> None:
    text = run(GitTool(dirty), operation="diff", revision="HEAD~1", paths=["app.py"]).content
    assert "from HEAD~1 to the work tree" in text
    assert "+print('three')" in text and "README" not in text.split("\n", 1)[1]


def test_diff_stat_only(dirty: Path) -> None:
    text = run(GitTool(dirty), operation="diff", stat_only=True).content
    assert "README.md |" in text and "app.py" in text
    assert "@@" not in text


def test_diff_of_a_clean_tree(clean: Path) -> None:
    assert run(GitTool(clean), operation="diff").content.endswith("No differences.")


def test_diff_without_commits_shows_new_files(empty: Path) -> None:
    text = run(GitTool(empty), operation="diff").content
    assert "against an empty repository" in text
    assert "+++ b/first.txt" in text and "+hello" in text


def test_diff_with_an_unknown_revision(clean: Path) -> None:
    result = run(GitTool(clean), operation="diff", revision="no-such-branch")
    assert result.is_error and "Unknown revision `no-such-branch`" in result.content


def test_revisions_cannot_smuggle_options(clean: Path, tmp_path: Path) -> None:
    target = tmp_path / "written"
    result = run(GitTool(clean), operation="diff", revision=f"--output={target}")
    assert result.is_error and "is not a revision name" in result.content
    assert not target.exists()


def test_paths_outside_the_repository_are_refused(clean: Path, tmp_path: Path) -> None:
    result = run(GitTool(clean), operation="diff", paths=["../elsewhere.txt"])
    assert result.is_error and "is outside the repository" in result.content


def test_staged_and_revision_together_are_refused(clean: Path) -> None:
    result = run(GitTool(clean), operation="diff", staged=True, revision="HEAD~1")
    assert result.is_error and "cannot be combined" in result.content


# -- log -----------------------------------------------------------------------------------


def test_log_lists_one_line_per_commit_newest_first(clean: Path) -> None:
    text = run(GitTool(clean), operation="log").content
    lines = text.splitlines()
    assert "3 of 3" in lines[0]
    hashes = git(clean, "log", "--format=%h").split()
    assert [line.split()[0] for line in lines[1:]] == hashes
    assert lines[1].endswith("Test Person  Explain how to run it")
    assert lines[3].endswith("Start the demo")


def test_log_limit_says_how_many_are_left_out(clean: Path) -> None:
    text = run(GitTool(clean), operation="log", limit=1).content
    assert "1 of 3" in text and "2 older commits not listed" in text
    assert len(text.splitlines()) == 2


def test_log_of_a_path(clean: Path) -> None:
    text = run(GitTool(clean), operation="log", paths=["README.md"]).content
    assert "2 of 2" in text and "Print two" not in text


def test_log_of_a_range(clean: Path) -> None:
    text = run(GitTool(clean), operation="log", revision="HEAD~1..HEAD").content
    assert "1 of 1" in text and "Explain how to run it" in text


def test_log_on_a_detached_head(detached: Path) -> None:
    text = run(GitTool(detached), operation="log").content
    assert "2 of 2" in text and "Explain" not in text


def test_log_without_commits(empty: Path) -> None:
    result = run(GitTool(empty), operation="log")
    assert not result.is_error and "no commits yet" in result.content


# -- show ----------------------------------------------------------------------------------


def test_show_a_commit_with_its_message_and_diff(clean: Path) -> None:
    full = git(clean, "rev-parse", "HEAD~1").strip()
    text = run(GitTool(clean), operation="show", revision="HEAD~1").content
    assert text.startswith(f"commit {full}")
    assert "Print two" in text and "+print('two')" in text
    assert "Changes against its parent" in text


def test_show_a_file_at_a_revision(clean: Path) -> None:
    text = run(GitTool(clean), operation="show", revision="HEAD~2", path="app.py").content
    assert text.splitlines()[1:] == ["     1\tprint('one')"]


def test_show_part_of_a_file(clean: Path) -> None:
    text = run(
        GitTool(clean), operation="show", path="README.md", start_line=3, end_line=-1
    ).content
    assert "lines 3-3 of 3" in text and text.endswith("     3\tRun app.py.")


def test_show_a_file_that_is_not_there(clean: Path) -> None:
    result = run(GitTool(clean), operation="show", revision="HEAD~2", path="nope.py")
    assert result.is_error and "does not exist at HEAD~2" in result.content


def test_show_in_an_empty_repository(empty: Path) -> None:
    result = run(GitTool(empty), operation="show")
    assert result.is_error and "no commits yet" in result.content


def test_show_of_a_merge_commit_diffs_against_the_first_parent(clean: Path) -> None:
    git(clean, "checkout", "-q", "-b", "side")
    commit_files(clean, {"side.txt": "side\n"}, "Side work")
    git(clean, "checkout", "-q", "main")
    git(clean, "merge", "-q", "--no-ff", "-m", "Merge side", "side")
    text = run(GitTool(clean), operation="show").content
    assert "Merge side" in text and "first parent" in text and "+side" in text


# -- blame ---------------------------------------------------------------------------------


def test_blame_names_the_commit_of_each_line(clean: Path) -> None:
    second = git(clean, "rev-parse", "--short=7", "HEAD~1").strip()
    text = run(GitTool(clean), operation="blame", path="app.py", start_line=2, end_line=2).content
    body = text.splitlines()[1:]
    assert len(body) == 1
    assert body[0].startswith(second) and "Test Person" in body[0]
    assert body[0].endswith("print('two')")


def test_blame_marks_uncommitted_lines(dirty: Path) -> None:
    text = run(GitTool(dirty), operation="blame", path="app.py").content
    assert "Not Committed Yet" in text.splitlines()[-1]


def test_blame_past_the_end_of_the_file(clean: Path) -> None:
    result = run(GitTool(clean), operation="blame", path="app.py", start_line=9)
    assert result.is_error and "has 2 lines" in result.content


def test_blame_of_an_untracked_file(dirty: Path) -> None:
    result = run(GitTool(dirty), operation="blame", path="notes.txt")
    assert result.is_error and "has no history yet" in result.content


def test_blame_needs_a_path(clean: Path) -> None:
    result = run(GitTool(clean), operation="blame")
    assert result.is_error and "needs `path`" in result.content


def test_blame_without_commits(empty: Path) -> None:
    result = run(GitTool(empty), operation="blame", path="first.txt")
    assert result.is_error and "no commits yet" in result.content


# -- branch --------------------------------------------------------------------------------


def test_branch_lists_local_branches(clean: Path) -> None:
    git(clean, "branch", "feature")
    text = run(GitTool(clean), operation="branch").content
    lines = text.splitlines()
    assert lines[0] == "Local branches (2), * marks the current one:"
    assert lines[1].startswith("  feature ") and lines[2].startswith("* main ")


def test_branch_creates_and_switches_keeping_uncommitted_work(dirty: Path) -> None:
    before = git(dirty, "status", "--porcelain")
    result = run(GitTool(dirty), operation="branch", name="fix/greeting")
    assert not result.is_error, result.content
    assert git(dirty, "symbolic-ref", "--short", "HEAD").strip() == "fix/greeting"
    assert git(dirty, "rev-parse", "fix/greeting") == git(dirty, "rev-parse", "main")
    assert git(dirty, "status", "--porcelain") == before


def test_branch_never_overwrites_an_existing_one(clean: Path) -> None:
    git(clean, "branch", "feature", "HEAD~2")
    target = git(clean, "rev-parse", "feature")
    result = run(GitTool(clean), operation="branch", name="feature")
    assert result.is_error and "already exists" in result.content
    assert git(clean, "rev-parse", "feature") == target
    assert git(clean, "symbolic-ref", "--short", "HEAD").strip() == "main"


def test_branch_with_an_invalid_name(clean: Path) -> None:
    result = run(GitTool(clean), operation="branch", name="bad name..x")
    assert result.is_error and "not a valid branch name" in result.content


def test_branch_from_a_detached_head(detached: Path) -> None:
    commit = git(detached, "rev-parse", "HEAD")
    result = run(GitTool(detached), operation="branch", name="rescue")
    assert not result.is_error and "the detached HEAD" in result.content
    assert git(detached, "rev-parse", "rescue") == commit


def test_branch_in_an_empty_repository(empty: Path) -> None:
    text = run(GitTool(empty), operation="branch").content
    assert "has no commits yet" in text
    result = run(GitTool(empty), operation="branch", name="start")
    assert not result.is_error and "no commits yet" in result.content
    assert git(empty, "symbolic-ref", "--short", "HEAD").strip() == "start"


def test_branch_refused_during_a_merge(merging: Path) -> None:
    result = run(GitTool(merging), operation="branch", name="escape")
    assert result.is_error and "merge is in progress" in result.content
    assert git(merging, "branch", "--list", "escape") == ""


def test_branch_refused_while_the_index_is_locked(clean: Path) -> None:
    (clean / ".git" / "index.lock").write_text("")
    result = run(GitTool(clean), operation="branch", name="later")
    assert result.is_error and "The index is locked" in result.content
    assert git(clean, "branch", "--list", "later") == ""


# -- arguments -----------------------------------------------------------------------------


def test_parameters_an_operation_ignores_are_reported(clean: Path) -> None:
    result = run(GitTool(clean), operation="log", message="hello", staged=True)
    assert result.is_error
    assert "`log` does not use `message`, `staged`" in result.content


def test_a_single_path_string_is_accepted(dirty: Path) -> None:
    text = run(GitTool(dirty), operation="diff", paths="app.py").content
    assert "+print('three')" in text and "README.md" not in text


def test_unknown_operations_are_argument_errors(clean: Path) -> None:
    with pytest.raises(ArgumentError, match="operation"):
        GitTool(clean).parse_arguments({"operation": "reset"})


def test_schema_is_plain_with_an_operation_enum(clean: Path) -> None:
    parameters = GitTool(clean).schema().function.parameters
    assert parameters["required"] == ["operation"]
    assert parameters["properties"]["operation"]["enum"] == [
        "status",
        "diff",
        "log",
        "show",
        "blame",
        "branch",
        "commit",
    ]
    assert "$defs" not in parameters and "$ref" not in str(parameters)
    assert GitArgs.model_json_schema()["additionalProperties"] is False
