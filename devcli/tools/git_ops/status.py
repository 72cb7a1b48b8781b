"""`status`: the branch, its upstream, what is staged, unstaged, unmerged and untracked."""

from git import Repo

from devcli.tools.git_ops.bounds import OBSERVATION_BUDGET, cut_lines, plural
from devcli.tools.git_ops.porcelain import (
    BranchInfo,
    EntryKind,
    PorcelainStatus,
    StatusEntry,
    parse_porcelain,
)
from devcli.tools.git_ops.repository import index_lock, operations_in_progress
from devcli.tools.git_ops.runner import git_output

SECTION_LIMIT = 200

_CHANGE_WORDS = {
    "M": "modified",
    "T": "type changed",
    "A": "new file",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
}
_CONFLICT_WORDS = {
    "DD": "both deleted",
    "AU": "added by us",
    "UD": "deleted by them",
    "UA": "added by them",
    "DU": "deleted by us",
    "AA": "both added",
    "UU": "both modified",
}


def read_status(repo: Repo, paths: list[str], all_untracked: bool = False) -> PorcelainStatus:
    untracked = "--untracked-files=all" if all_untracked else "--untracked-files=normal"
    raw = git_output(
        repo,
        [
            "-c",
            "core.quotePath=off",
            "status",
            "--porcelain=v2",
            "--branch",
            "-z",
            untracked,
            "--",
            *paths,
        ],
    )
    return parse_porcelain(raw)


def status_report(repo: Repo, paths: list[str]) -> str:
    status = read_status(repo, paths)
    lines = [describe_branch(repo, status.branch)]
    for operation in operations_in_progress(repo):
        lines.append(
            f"{operation[0].upper()}{operation[1:]} is in progress and stopped half way. Resolve "
            "any unmerged files below and conclude it (or abort it) with git through "
            "execute_bash, or ask the user; the `commit` operation waits until it is over."
        )
    lock = index_lock(repo)
    if lock is not None:
        lines.append(
            f"The index is locked ({lock} exists): another git process is running, or one "
            "crashed. Commits and branch changes will fail until the lock is gone."
        )
    entries = status.entries
    staged = [e for e in entries if e.kind is not EntryKind.UNMERGED and e.index not in ".?"]
    unstaged = [e for e in entries if e.kind is not EntryKind.UNMERGED and e.work_tree not in ".?"]
    unmerged = [e for e in entries if e.kind is EntryKind.UNMERGED]
    untracked = [e for e in entries if e.kind is EntryKind.UNTRACKED]
    scope = " among the given paths" if paths else ""
    if not entries:
        lines.append(f"Nothing to commit{scope}: the work tree and the index match HEAD.")
    sections = [
        ("Unmerged, needing resolution", unmerged, _conflict_line),
        ("Staged for commit", staged, lambda e: _change_line(e, e.index)),
        ("Not staged", unstaged, lambda e: _change_line(e, e.work_tree)),
        ("Untracked", untracked, lambda e: f"  {e.path}"),
    ]
    for title, members, render in sections:
        if not members:
            continue
        lines.append(f"{title} ({len(members)}):")
        lines.extend(render(e) for e in members[:SECTION_LIMIT])
        if len(members) > SECTION_LIMIT:
            rest = len(members) - SECTION_LIMIT
            lines.append(
                f"  ... and {plural(rest, 'more entry', 'more entries')}; pass `paths` "
                "to list a folder's entries."
            )
    text = "\n".join(lines)
    return cut_lines(
        text,
        OBSERVATION_BUDGET - 200,
        lambda gap: (
            f"[... {plural(len(gap), 'line')} of the status cut here; pass `paths` to "
            "narrow it ...]"
        ),
    )


def describe_branch(repo: Repo, branch: BranchInfo) -> str:
    if branch.head is None:
        commit = git_output(repo, ["log", "-1", "--format=%h %s"]).strip()
        return (
            f"HEAD is detached at {commit}: it is on no branch, so commits made here would "
            "belong to no branch. `branch` with a `name` creates a branch here and switches to it."
        )
    if branch.oid is None:
        return f"On branch {branch.head}, which has no commits yet."
    text = f"On branch {branch.head}"
    if branch.upstream is None:
        return text + ", which tracks no upstream branch."
    if branch.ahead is None or branch.behind is None:
        return text + f", whose upstream {branch.upstream} no longer exists."
    if branch.ahead == branch.behind == 0:
        return text + f", up to date with {branch.upstream}."
    return (
        text + f", tracking {branch.upstream}: {plural(branch.ahead, 'commit')} ahead, "
        f"{branch.behind:,} behind."
    )


def _change_line(entry: StatusEntry, code: str) -> str:
    word = _CHANGE_WORDS.get(code, code)
    if entry.kind is EntryKind.RENAMED and code in "RC" and entry.original_path:
        return f"  {word:<13}{entry.original_path} -> {entry.path}"
    return f"  {word:<13}{entry.path}"


def _conflict_line(entry: StatusEntry) -> str:
    word = _CONFLICT_WORDS.get(entry.index + entry.work_tree, "conflict")
    return f"  {word:<16}{entry.path}"


def status_paths(status: PorcelainStatus) -> set[str]:
    """Every path the status names, old names of renames included."""
    found: set[str] = set()
    for entry in status.entries:
        found.add(entry.path)
        if entry.original_path:
            found.add(entry.original_path)
    return found
