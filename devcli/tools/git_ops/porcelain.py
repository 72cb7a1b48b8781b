"""Parsing `git status --porcelain=v2 -z`, git's stable, machine-readable status."""

from enum import StrEnum

from pydantic import BaseModel


class EntryKind(StrEnum):
    CHANGED = "changed"
    RENAMED = "renamed"
    UNMERGED = "unmerged"
    UNTRACKED = "untracked"


class StatusEntry(BaseModel):
    kind: EntryKind
    path: str
    original_path: str | None = None  # renames and copies
    index: str = "."  # X: the index against HEAD ("." unchanged)
    work_tree: str = "."  # Y: the work tree against the index


class BranchInfo(BaseModel):
    oid: str | None = None  # None before the first commit
    head: str | None = None  # None when detached
    upstream: str | None = None
    # None when there is no upstream, or it no longer exists.
    ahead: int | None = None
    behind: int | None = None


class PorcelainStatus(BaseModel):
    branch: BranchInfo
    entries: list[StatusEntry]


def parse_porcelain(raw: str) -> PorcelainStatus:
    branch = BranchInfo()
    entries: list[StatusEntry] = []
    fields = raw.split("\0")
    position = 0
    while position < len(fields):
        record = fields[position]
        position += 1
        if not record:
            continue
        tag = record[0]
        if tag == "#":
            _read_header(record, branch)
        elif tag == "1":
            parts = record.split(" ", 8)
            entries.append(_changed(EntryKind.CHANGED, parts[1], parts[8]))
        elif tag == "2":
            parts = record.split(" ", 9)
            original = fields[position] if position < len(fields) else None
            position += 1
            entry = _changed(EntryKind.RENAMED, parts[1], parts[9])
            entries.append(entry.model_copy(update={"original_path": original}))
        elif tag == "u":
            parts = record.split(" ", 10)
            entries.append(_changed(EntryKind.UNMERGED, parts[1], parts[10]))
        elif tag == "?":
            entries.append(StatusEntry(kind=EntryKind.UNTRACKED, path=record[2:]))
    return PorcelainStatus(branch=branch, entries=entries)


def _changed(kind: EntryKind, codes: str, path: str) -> StatusEntry:
    return StatusEntry(kind=kind, path=path, index=codes[0], work_tree=codes[1])


def _read_header(record: str, branch: BranchInfo) -> None:
    _, key, *rest = record.split(" ")
    value = " ".join(rest)
    if key == "branch.oid":
        branch.oid = None if value == "(initial)" else value
    elif key == "branch.head":
        branch.head = None if value == "(detached)" else value
    elif key == "branch.upstream":
        branch.upstream = value
    elif key == "branch.ab" and len(rest) == 2:
        branch.ahead = abs(int(rest[0]))
        branch.behind = abs(int(rest[1]))
