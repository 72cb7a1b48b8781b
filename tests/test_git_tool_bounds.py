"""The git tool's answers stay inside the observation budget on a 10,000-commit history and a
5 MB diff, and say what was cut and how to see it."""

import re
from pathlib import Path

import pytest

from devcli.tools.base import ToolResult
from devcli.tools.git_ops.bounds import OBSERVATION_BUDGET
from devcli.tools.git_tool import GitTool
from tests.support.git_histories import (
    ISOLATED_GIT,
    build_large_diff,
    build_long_history,
    commit_files,
    git,
    new_repo,
)


@pytest.fixture(scope="session")
def long_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ISOLATED_GIT.items():
            patch.setenv(name, value)
        return build_long_history(tmp_path_factory.mktemp("history") / "repo")


@pytest.fixture(scope="session")
def large_diff(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ISOLATED_GIT.items():
            patch.setenv(name, value)
        return build_large_diff(tmp_path_factory.mktemp("large") / "repo")


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ISOLATED_GIT.items():
        monkeypatch.setenv(name, value)


def run(repo: Path, **arguments: object) -> ToolResult:
    tool = GitTool(repo)
    return tool.execute(tool.parse_arguments(dict(arguments)))


def cut_note(text: str) -> str:
    notes = [line for line in text.splitlines() if line.startswith("[... ")]
    assert notes, "the answer has no note saying what was cut"
    return notes[-1]


# -- 10,000 commits ------------------------------------------------------------------------


def test_the_history_fixture_is_as_long_as_promised(long_history: Path) -> None:
    assert git(long_history, "rev-list", "--count", "HEAD").strip() == "10000"


def test_default_log_lists_twenty_and_counts_the_rest(long_history: Path) -> None:
    text = run(long_history, operation="log").content
    lines = text.splitlines()
    assert "20 of 10,000" in lines[0] and "9,980 older commits not listed" in lines[0]
    assert len(lines) == 21
    assert lines[1].endswith("Step 10000: count to 10000")


def test_log_of_every_commit_is_cut_in_the_middle(long_history: Path) -> None:
    text = run(long_history, operation="log", limit=10_000).content
    assert len(text) <= OBSERVATION_BUDGET
    lines = text.splitlines()
    assert lines[1].endswith("Step 10000: count to 10000")
    assert lines[-1].endswith("Step 1: count to 1")
    note = cut_note(text)
    match = re.search(r"\[\.\.\. ([\d,]+) commits cut here", note)
    assert match is not None
    cut = int(match[1].replace(",", ""))
    listed = sum(1 for line in lines if "  Step " in line)
    assert listed + cut == 10_000
    assert "`revision` range" in note


def test_log_of_a_path_in_a_long_history(long_history: Path) -> None:
    text = run(long_history, operation="log", paths=["docs/notes.md"], limit=200).content
    assert "100 of 100" in text
    assert all(
        line.split("Step ")[1].split(":")[0].endswith("00") for line in text.splitlines()[1:]
    )


def test_log_of_a_range_in_a_long_history(long_history: Path) -> None:
    text = run(long_history, operation="log", revision="HEAD~5..HEAD").content
    assert "in HEAD~5..HEAD" in text and "5 of 5" in text


# -- 5 MB diff -----------------------------------------------------------------------------


def test_the_diff_fixture_is_over_five_megabytes(large_diff: Path) -> None:
    assert len(git(large_diff, "diff", "HEAD")) > 5_000_000
    assert len(git(large_diff, "diff", "HEAD~1", "HEAD")) > 5_000_000


def check_large_diff_answer(text: str) -> None:
    assert len(text) <= OBSERVATION_BUDGET
    assert re.search(r"The diff has 5,\d{3},\d{3} characters", text)
    assert "80 files changed, 64000 insertions(+), 64000 deletions(-)" in text
    assert "src/module_079.txt |" in text  # the summary covers every file
    note = cut_note(text)
    assert re.search(r"of the diff cut here", note) and "`paths`" in note
    assert "the lines below the cut are the end of `src/module_079.txt`" in note
    assert "diff --git a/src/module_000.txt b/src/module_000.txt" in text
    assert re.search(r"line 00799 of module 079, \w+ wording$", text)


def test_uncommitted_5mb_diff_is_summarised_and_cut(large_diff: Path) -> None:
    check_large_diff_answer(run(large_diff, operation="diff").content)


def test_5mb_diff_between_revisions_is_summarised_and_cut(large_diff: Path) -> None:
    check_large_diff_answer(run(large_diff, operation="diff", revision="HEAD~1..HEAD").content)


def test_showing_a_5mb_commit_is_summarised_and_cut(large_diff: Path) -> None:
    text = run(large_diff, operation="show").content
    assert text.startswith("commit ") and "Reword every module" in text
    check_large_diff_answer(text)


def test_stat_only_of_a_5mb_diff_fits_whole(large_diff: Path) -> None:
    text = run(large_diff, operation="diff", stat_only=True).content
    assert len(text) <= OBSERVATION_BUDGET
    assert sum(1 for line in text.splitlines() if "src/module_" in line) == 80
    assert "[..." not in text


def test_paths_narrow_a_large_diff_to_one_file(large_diff: Path) -> None:
    text = run(large_diff, operation="diff", paths=["src/module_007.txt"]).content
    assert len(text) <= OBSERVATION_BUDGET
    assert "1 file changed" in text and "module_008" not in text


def test_a_large_file_at_a_revision_is_cut_and_ranges_read_it(large_diff: Path) -> None:
    text = run(large_diff, operation="show", path="src/module_003.txt").content
    assert len(text) <= OBSERVATION_BUDGET
    assert "pass start_line and end_line" in cut_note(text)
    part = run(
        large_diff, operation="show", path="src/module_003.txt", start_line=400, end_line=402
    ).content
    assert part.splitlines()[1:] == [
        f"{n:6}\tline {n - 1:05d} of module 003, rewritten wording" for n in (400, 401, 402)
    ]


def test_a_single_huge_line_is_clipped(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "minified")
    commit_files(repo, {"bundle.js": "var a=1;\n"}, "Add the bundle")
    (repo / "bundle.js").write_text("var a=2;" * 50_000 + "\n")
    text = run(repo, operation="diff").content
    assert len(text) <= OBSERVATION_BUDGET
    assert "more characters on this line]" in text
