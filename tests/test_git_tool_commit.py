"""`commit` through the git tool: permission, exactly the intended paths, the session's own
changes, author and trailer, and refusals that leave the repository as it was."""

import stat
from pathlib import Path

import pytest

from devcli.tools.base import ToolResult
from devcli.tools.git_ops.commit import CommitRequest, ask_before_commit, with_trailer
from devcli.tools.git_tool import GitTool
from tests.support.git_histories import (
    IDENTITY,
    ISOLATED_GIT,
    git,
    new_repo,
    repo_with_history,
    start_conflicting_merge,
)

TRAILER = "Co-authored-by: devcli <devcli@localhost>"


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ISOLATED_GIT.items():
        monkeypatch.setenv(name, value)


def run(tool: GitTool, **arguments: object) -> ToolResult:
    return tool.execute(tool.parse_arguments(dict(arguments)))


def files_in(repo: Path, revision: str = "HEAD") -> list[str]:
    return git(repo, "show", "--name-only", "--format=", revision).split()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return repo_with_history(tmp_path / "repo")


class RepoState:
    """HEAD, the index and the work tree's status, to check that nothing changed."""

    def __init__(self, repo: Path) -> None:
        self.head = git(repo, "rev-parse", "HEAD", check=False)
        self.staged = git(repo, "diff", "--cached", "--name-status")
        self.status = git(repo, "status", "--porcelain")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RepoState) and vars(self) == vars(other)


# -- permission ----------------------------------------------------------------------------


def test_commit_is_refused_without_permission(repo: Path) -> None:
    (repo / "app.py").write_text("print('changed')\n")
    before = RepoState(repo)
    result = run(GitTool(repo), operation="commit", message="Change app", paths=["app.py"])
    assert result.is_error
    assert "not enabled" in result.content and "--commit" in result.content
    assert RepoState(repo) == before


def test_a_person_may_decline_or_approve_each_commit(repo: Path) -> None:
    asked: list[CommitRequest] = []
    answers = iter([False, True])

    def approve(request: CommitRequest) -> bool:
        asked.append(request)
        return next(answers)

    tool = GitTool(repo, allow_commit=approve)
    (repo / "app.py").write_text("print('changed')\n")
    before = RepoState(repo)
    declined = run(tool, operation="commit", message="Change app")
    assert declined.is_error and "declined" in declined.content
    assert RepoState(repo) == before
    approved = run(tool, operation="commit", message="Change app")
    assert not approved.is_error, approved.content
    assert [r.paths for r in asked] == [["app.py"], ["app.py"]]
    assert asked[0].message == "Change app" and asked[0].branch == "main"
    assert files_in(repo) == ["app.py"]


def test_ask_before_commit_shows_the_message_and_files() -> None:
    class Person:
        def __init__(self) -> None:
            self.questions: list[tuple[str, str]] = []

        def confirm(self, question: str, detail: str = "") -> bool:
            self.questions.append((question, detail))
            return False

    person = Person()
    request = CommitRequest(branch="main", message="Fix the parser", paths=["a.py", "b.py"])
    assert ask_before_commit(person)(request) is False
    question, detail = person.questions[0]
    assert question == "Commit 2 files on main?"
    assert "Fix the parser" in detail and "  a.py\n  b.py" in detail


# -- what goes into the commit -------------------------------------------------------------


def test_commit_of_named_paths_takes_only_those(repo: Path) -> None:
    tool = GitTool(repo, allow_commit=True)
    (repo / "app.py").write_text("print('changed')\n")
    (repo / "new.py").write_text("print('new')\n")
    (repo / "README.md").write_text("# Staged by the user\n")
    git(repo, "add", "README.md")
    result = run(tool, operation="commit", message="Add new.py", paths=[str(repo / "new.py")])
    assert not result.is_error, result.content
    assert files_in(repo) == ["new.py"]
    # The user's staged README change stays staged, app.py stays modified.
    assert git(repo, "diff", "--cached", "--name-only").split() == ["README.md"]
    assert git(repo, "diff", "--name-only").split() == ["app.py"]
    assert "new.py" not in git(repo, "status", "--porcelain")


def test_commit_author_message_and_trailer(repo: Path) -> None:
    tool = GitTool(repo, allow_commit=True)
    (repo / "app.py").write_text("print('changed')\n")
    message = "Change the greeting\n\nThe old one was too plain."
    result = run(tool, operation="commit", message=message, paths=["app.py"])
    assert not result.is_error, result.content
    author = git(repo, "log", "-1", "--format=%an <%ae>").strip()
    assert author == f"{IDENTITY[0]} <{IDENTITY[1]}>"
    body = git(repo, "log", "-1", "--format=%B").strip()
    assert body == f"{message}\n\n{TRAILER}"
    short = git(repo, "rev-parse", "--short", "HEAD").strip()
    assert result.content.startswith(f'Committed {short} on main: "Change the greeting"')


def test_without_paths_only_the_sessions_changes_are_committed(repo: Path) -> None:
    (repo / "README.md").write_text("# The user's own edit\n")  # before the session
    (repo / "app.py").write_text("print('user draft')\n")  # before, and changed again later
    tool = GitTool(repo, allow_commit=True)
    (repo / "app.py").write_text("print('user draft')\nprint('agent')\n")
    (repo / "lib").mkdir()
    (repo / "lib" / "helper.py").write_text("VALUE = 1\n")
    result = run(tool, operation="commit", message="Add the helper")
    assert not result.is_error, result.content
    assert files_in(repo) == ["lib/helper.py"]
    assert "`README.md`" in result.content and "not changed them since" in result.content
    assert "`app.py`" in result.content and "mix the user's work" in result.content
    assert sorted(git(repo, "diff", "--name-only").split()) == ["README.md", "app.py"]


def test_nothing_to_commit_after_committing_everything(repo: Path) -> None:
    tool = GitTool(repo, allow_commit=True)
    (repo / "new.py").write_text("x = 1\n")
    assert not run(tool, operation="commit", message="Add new.py").is_error
    head = git(repo, "rev-parse", "HEAD")
    again = run(tool, operation="commit", message="Again")
    assert again.is_error and "Nothing to commit" in again.content
    assert git(repo, "rev-parse", "HEAD") == head
    # A later change to a committed file is the session's again.
    (repo / "new.py").write_text("x = 2\n")
    assert not run(tool, operation="commit", message="Change new.py").is_error
    assert files_in(repo) == ["new.py"]


def test_deletions_and_renames_are_committed(repo: Path) -> None:
    tool = GitTool(repo, allow_commit=True)
    git(repo, "mv", "README.md", "GUIDE.md")
    (repo / "app.py").unlink()
    result = run(tool, operation="commit", message="Rename and remove", paths=["GUIDE.md"])
    assert not result.is_error, result.content
    assert git(repo, "show", "--name-status", "--format=", "-M", "HEAD").split() == [
        "R100",
        "README.md",
        "GUIDE.md",
    ]
    result = run(tool, operation="commit", message="Remove app.py", paths=["app.py"])
    assert not result.is_error, result.content
    assert git(repo, "show", "--name-status", "--format=", "HEAD").split() == ["D", "app.py"]
    assert git(repo, "status", "--porcelain") == ""


def test_the_first_commit_of_an_empty_repository(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "fresh")
    tool = GitTool(repo, allow_commit=True)
    (repo / "main.py").write_text("print('hi')\n")
    (repo / "notes.txt").write_text("not for the commit\n")
    result = run(tool, operation="commit", message="Start", paths=["main.py"])
    assert not result.is_error, result.content
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "1"
    assert files_in(repo) == ["main.py"]
    assert git(repo, "status", "--porcelain").split() == ["??", "notes.txt"]


# -- refusals ------------------------------------------------------------------------------


def test_a_failing_pre_commit_hook_reaches_the_model(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'lint: app.py:1: missing docstring' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    tool = GitTool(repo, allow_commit=True)
    (repo / "app.py").write_text("print('changed')\n")
    before = RepoState(repo)
    result = run(tool, operation="commit", message="Change app", paths=["app.py"])
    assert result.is_error
    assert "The `pre-commit` hook rejected the commit" in result.content
    assert "lint: app.py:1: missing docstring" in result.content
    assert RepoState(repo) == before


def test_a_locked_index_refuses_the_commit(repo: Path) -> None:
    tool = GitTool(repo, allow_commit=True)
    (repo / "app.py").write_text("print('changed')\n")
    (repo / ".git" / "index.lock").write_text("")
    before = RepoState(repo)
    result = run(tool, operation="commit", message="Change app")
    assert result.is_error and "The index is locked" in result.content
    assert RepoState(repo) == before


def test_a_detached_head_refuses_the_commit(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    tool = GitTool(repo, allow_commit=True)
    (repo / "app.py").write_text("print('changed')\n")
    before = RepoState(repo)
    result = run(tool, operation="commit", message="Change app")
    assert result.is_error and "HEAD is detached" in result.content
    assert "`branch` with a `name`" in result.content
    assert RepoState(repo) == before


def test_a_merge_in_progress_refuses_the_commit(repo: Path) -> None:
    start_conflicting_merge(repo)
    tool = GitTool(repo, allow_commit=True)
    before = RepoState(repo)
    result = run(tool, operation="commit", message="Merge", paths=["app.py"])
    assert result.is_error and "A merge is in progress" in result.content
    assert RepoState(repo) == before


def test_a_missing_identity_is_explained(tmp_path: Path) -> None:
    repo = tmp_path / "anonymous"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.useConfigOnly", "true")
    tool = GitTool(repo, allow_commit=True)
    (repo / "a.txt").write_text("a\n")
    result = run(tool, operation="commit", message="Add a")
    assert result.is_error and "user.name" in result.content
    assert git(repo, "rev-parse", "--verify", "--quiet", "HEAD", check=False) == ""
    assert git(repo, "status", "--porcelain").split() == ["??", "a.txt"]


def test_a_message_is_required(repo: Path) -> None:
    (repo / "app.py").write_text("print('changed')\n")
    result = run(GitTool(repo, allow_commit=True), operation="commit", message="  ")
    assert result.is_error and "needs a `message`" in result.content


def test_unchanged_and_ignored_paths_are_explained(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "Ignore logs")
    (repo / "debug.log").write_text("noise\n")
    tool = GitTool(repo, allow_commit=True)
    head = git(repo, "rev-parse", "HEAD")
    result = run(tool, operation="commit", message="Try", paths=["app.py", "debug.log"])
    assert result.is_error and result.content.startswith("Nothing to commit.")
    assert "`app.py` has no changes" in result.content
    assert "`debug.log` is ignored" in result.content
    assert git(repo, "rev-parse", "HEAD") == head


def test_a_trailer_joins_an_existing_trailer_block() -> None:
    signed = "Fix it\n\nSigned-off-by: A <a@example.com>"
    assert with_trailer(signed) == f"{signed}\n{TRAILER}\n"
    assert with_trailer("Fix it") == f"Fix it\n\n{TRAILER}\n"
    assert with_trailer(f"Fix it\n\n{TRAILER}") == f"Fix it\n\n{TRAILER}\n"
