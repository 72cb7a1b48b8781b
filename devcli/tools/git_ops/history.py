"""`log` and `show`: commits one line each, and one commit (or one file) in full."""

from git import Repo

from devcli.tools.git_ops.bounds import (
    OBSERVATION_BUDGET,
    clip_long_lines,
    cut_lines,
    name_some,
    plural,
)
from devcli.tools.git_ops.file_lines import LineRange, numbered_lines
from devcli.tools.git_ops.patch import render_patch
from devcli.tools.git_ops.repository import check_range, check_revision, has_commits
from devcli.tools.git_ops.runner import GitFailure, git_output, run_git

DEFAULT_LOG_LIMIT = 20
MESSAGE_BUDGET = 8_000


def log_report(repo: Repo, paths: list[str], revision: str | None, limit: int | None) -> str:
    if revision is None and not has_commits(repo):
        return "There are no commits yet: the current branch is still unborn."
    spec = check_range(repo, revision) if revision is not None else "HEAD"
    count = limit or DEFAULT_LOG_LIMIT
    total = int(git_output(repo, ["rev-list", "--count", spec, "--", *paths]).strip() or 0)
    scope = f" touching {name_some(paths, 4)}" if paths else ""
    where = f"in {spec}" if ".." in spec else f"reachable from {spec}"
    if total == 0:
        return f"No commits {where}{scope}."
    lines = git_output(
        repo,
        [
            "log",
            "--no-color",
            f"--max-count={count}",
            "--date=short",
            "--format=%h  %ad  %an  %s",
            spec,
            "--",
            *paths,
        ],
    )
    shown = min(count, total)
    heading = f"Commits {where}{scope}, newest first: {shown:,} of {total:,}"
    heading += " (hash, date, author, subject)."
    if shown < total:
        heading += (
            f" {plural(total - shown, 'older commit')} not listed; raise `limit` or give a "
            "`revision` range to see them."
        )
    body = cut_lines(
        clip_long_lines(lines.rstrip("\n"), 300),
        OBSERVATION_BUDGET - len(heading) - 400,
        _describe_log_gap,
    )
    return f"{heading}\n{body}"


def _describe_log_gap(gap: list[str]) -> str:
    newest = gap[0].split(" ", 1)[0] if gap else "?"
    oldest = gap[-1].split(" ", 1)[0] if gap else "?"
    return (
        f"[... {plural(len(gap), 'commit')} cut here, from {newest} back to {oldest}; ask for a "
        "smaller `limit`, or a `revision` range such as "
        f"{oldest}..{newest}, to list them ...]"
    )


def show_commit(repo: Repo, revision: str | None, paths: list[str], stat_only: bool) -> str:
    rev = check_revision(repo, revision or "HEAD")
    header = git_output(
        repo, ["show", "--no-color", "--no-patch", "--format=fuller", rev, "--"]
    ).rstrip("\n")
    header = cut_lines(
        clip_long_lines(header),
        MESSAGE_BUDGET,
        lambda gap: f"[... {plural(len(gap), 'line')} of the commit message cut here ...]",
    )
    parents = git_output(repo, ["rev-list", "--parents", "-n", "1", rev]).split()
    against = "its parent" if len(parents) == 2 else "an empty tree (it is a root commit)"
    if len(parents) > 2:
        against = "its first parent (it is a merge)"
    heading = f"{header}\n\nChanges against {against}:"
    command = ["show", "--format=", "-m", "--first-parent", rev]
    return render_patch(repo, command, paths, heading, stat_only)


def show_file(repo: Repo, revision: str | None, path: str, lines: LineRange) -> str:
    rev = check_revision(repo, revision or "HEAD")
    if path == ".":
        raise GitFailure("`path` names the whole repository; give a file inside it.")
    kind = run_git(repo, ["cat-file", "-t", f"{rev}:{path}"])
    if not kind.ok:
        raise GitFailure(
            f"`{path}` does not exist at {rev}. `log` with `paths` shows the commits that "
            "added, renamed or removed it."
        )
    if kind.stdout.strip() != "blob":
        listing = git_output(repo, ["ls-tree", "--name-only", f"{rev}:{path}"])
        return cut_lines(
            f"`{path}` is a folder at {rev}; it holds:\n{listing.rstrip()}",
            OBSERVATION_BUDGET,
            lambda gap: f"[... {plural(len(gap), 'more entry', 'more entries')} ...]",
        )
    content = git_output(repo, ["cat-file", "-p", f"{rev}:{path}"])
    if "\0" in content[:8_000]:
        size = git_output(repo, ["cat-file", "-s", f"{rev}:{path}"]).strip()
        return f"`{path}` at {rev} is a binary file of {int(size):,} bytes; it is not shown."
    return numbered_lines(content, lines, f"`{path}` at {rev}")
