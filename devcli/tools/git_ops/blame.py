"""`blame`: who last changed each line of a file, and in which commit."""

from pathlib import Path

from git import Repo

from devcli.tools.git_ops.bounds import OBSERVATION_BUDGET, clip_long_lines, cut_lines, plural
from devcli.tools.git_ops.file_lines import LineRange, split_lines
from devcli.tools.git_ops.repository import check_revision, has_commits, work_tree
from devcli.tools.git_ops.runner import GitFailure, git_output, run_git


def blame_report(repo: Repo, path: str, revision: str | None, lines: LineRange) -> str:
    if path == ".":
        raise GitFailure("`path` names the whole repository; give a file inside it.")
    if not has_commits(repo):
        raise GitFailure("The repository has no commits yet, so no line has a history to show.")
    rev = check_revision(repo, revision) if revision is not None else None
    content = _content(repo, path, rev)
    what = f"`{path}` at {rev}" if rev else f"`{path}` in the work tree"
    first, last = lines.resolve(len(split_lines(content)), what)
    args = ["-c", "core.quotePath=off", "blame", "--date=short", "-L", f"{first},{last}"]
    result = run_git(repo, [*args, *([rev] if rev else []), "--", path], timeout=120)
    if not result.ok:
        if "no such path" in result.stderr:
            raise GitFailure(
                f"`{path}` has no history yet: no commit{' up to ' + rev if rev else ''} holds "
                "it. `status` shows whether it is new."
            )
        raise GitFailure(f"`git blame` failed: {result.stderr.strip()}")
    heading = (
        f"Blame of {what}, lines {first}-{last} (commit, author, date, line number, text; "
        "lines not committed yet show 00000000):\n"
    )
    body = cut_lines(
        clip_long_lines(result.stdout.rstrip("\n")),
        OBSERVATION_BUDGET - len(heading) - 300,
        lambda gap: (
            f"[... {plural(len(gap), 'line')} cut here; pass start_line and end_line "
            "to blame a smaller range ...]"
        ),
    )
    return heading + body


def _content(repo: Repo, path: str, rev: str | None) -> str:
    if rev is not None:
        if not run_git(repo, ["cat-file", "-e", f"{rev}:{path}"]).ok:
            raise GitFailure(f"`{path}` does not exist at {rev}.")
        return git_output(repo, ["cat-file", "-p", f"{rev}:{path}"])
    file = work_tree(repo) / path
    if not file.is_file():
        raise GitFailure(_missing(file, path))
    return file.read_bytes().decode("utf-8", errors="replace")


def _missing(file: Path, path: str) -> str:
    if file.is_dir():
        return f"`{path}` is a folder; blame works on one file."
    return (
        f"`{path}` does not exist in the work tree. To blame a deleted file, give a "
        "`revision` that still has it."
    )
