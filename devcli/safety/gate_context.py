"""The live facts the gates need: the repository root, the shell's directory, which
processes belong to the session, and whether paths hold uncommitted work."""

import os
import subprocess
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

from devcli.git_command import GitMissing, git_command
from devcli.safety.gate_rules import GateContext
from devcli.shell_syntax.simple_commands import UNKNOWN


def parent_pid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return int(fields[1])
    except (OSError, IndexError, ValueError):
        pass
    try:  # systems without /proc
        out = subprocess.run(
            ["ps", "-o", "ppid=", "-p", str(pid)], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return None
    return int(out) if out.isdigit() else None


def descends_from(pid: int, ancestor: int | None) -> bool:
    """Whether `pid` is `ancestor` or one of its descendants."""
    if ancestor is None:
        return False
    current: int | None = pid
    for _ in range(256):
        if current is None or current <= 1:
            return False
        if current == ancestor:
            return True
        current = parent_pid(current)
    return False


def has_uncommitted_changes(cwd: str, pathspecs: Sequence[str]) -> bool:
    """Tracked files under `pathspecs` (all when empty) that differ from HEAD or the index."""
    if UNKNOWN in cwd or any(UNKNOWN in spec for spec in pathspecs):
        return True
    args = ["status", "--porcelain", "-z", "--untracked-files=no", "--", *pathspecs]
    try:
        result = git_command(args, cwd=cwd, timeout=30)
    except GitMissing:
        return True
    if result.timed_out:
        return True
    if not result.ok:
        return False  # not a repository, or a pathspec git rejects: the command fails too
    return bool(result.stdout.strip(b"\0"))


def worktree_is_dirty(path: str) -> bool:
    """Whether a work tree has changes or untracked files; True when it cannot be read."""
    try:
        result = git_command(["status", "--porcelain", "-z"], cwd=path, timeout=30)
    except GitMissing:
        return True
    return not result.ok or bool(result.stdout.strip(b"\0"))


def git_alias(cwd: str, name: str) -> str | None:
    """The value of `alias.NAME` that git would use in `cwd`."""
    try:
        where = cwd if os.path.isdir(cwd) else None
        result = git_command(["config", "--get", f"alias.{name}"], cwd=where, timeout=10)
    except GitMissing:
        return None
    return result.text.rstrip("\n") if result.ok else None


def gate_context(
    root: Path,
    cwd: str,
    shell_pid: int | None,
    *,
    functions: Mapping[str, str] | None = None,
    session_started: float | None = None,
    sandboxed: bool = False,
) -> GateContext:
    home = os.path.realpath(os.path.expanduser("~"))
    return GateContext(
        root=str(root),
        cwd=cwd,
        home=home,
        environ=dict(os.environ),
        owns_process=partial(descends_from, ancestor=shell_pid),
        uncommitted_changes=has_uncommitted_changes,
        worktree_dirty=worktree_is_dirty,
        git_alias=git_alias,
        functions=dict(functions or {}),
        session_started=session_started,
        sandboxed=sandboxed,
    )
