"""Making the work tree match a checkpoint, one atomic file operation at a time.

Each file is written to a temporary name beside it and renamed into place, so a crash at
any moment leaves every file's content either as it was or as restored. A file the
checkpoint lacks is deleted only when the restored ignore rules do not exclude it: ignored
files are never checkpointed, so their absence from a checkpoint says nothing about them.
"""

import contextlib
import os
import stat
from pathlib import Path

from pydantic import BaseModel, Field

from devcli.checkpoints.store import CheckpointStore, FileChange
from devcli.tools.text_file import write_atomically

GITLINK = "160000"
SYMLINK = "120000"
EXECUTABLE = "100755"


class RestoreOutcome(BaseModel):
    applied: list[FileChange] = Field(default_factory=list)
    kept_ignored: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)  # "path: reason"


def restore_changes(store: CheckpointStore, changes: list[FileChange]) -> RestoreOutcome:
    """Apply `changes` (from the current tree to the wanted one) to the work tree."""
    outcome = RestoreOutcome()
    root = store.work_tree
    contents = store.blobs(
        [c.blob for c in changes if c.kind != "deleted" and c.mode != GITLINK and c.blob]
    )
    ignore_files = [c for c in changes if Path(c.path).name == ".gitignore"]
    others = [c for c in changes if Path(c.path).name != ".gitignore"]
    # The wanted ignore rules go first: they decide which deletions are safe.
    for change in ignore_files:
        _apply(contents, root, change, outcome)
    deletions = [c for c in others if c.kind == "deleted"]
    kept = store.ignored([c.path for c in deletions])
    for change in deletions:
        if change.path in kept:
            outcome.kept_ignored.append(change.path)
        else:
            _apply(contents, root, change, outcome)
    for change in others:
        if change.kind != "deleted":
            _apply(contents, root, change, outcome)
    return outcome


def _apply(
    contents: dict[str, bytes], root: Path, change: FileChange, outcome: RestoreOutcome
) -> None:
    path = root / change.path
    try:
        if change.kind == "deleted":
            _delete(path, root)
        elif change.mode != GITLINK:
            _write(path, root, contents[change.blob], change.mode)
        else:
            return  # a submodule: its own repository, never rewritten from here
    except OSError as exc:
        outcome.failed.append(f"{change.path}: {exc.strerror or exc}")
        return
    outcome.applied.append(change)


def _delete(path: Path, root: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        return  # a folder where the checkpoint had a file: only its files are restored
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    parent = path.parent
    while parent != root and parent.is_dir():
        try:
            parent.rmdir()  # only succeeds when nothing else is left in it
        except OSError:
            break
        parent = parent.parent


def _make_parent(path: Path, root: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Never write through a symlinked folder: the file would land outside the work tree.
    if not path.parent.resolve().is_relative_to(root.resolve()):
        raise OSError(f"its folder leads outside the work tree ({path.parent.resolve()})")


def _set_executable(path: Path, executable: bool) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    wanted = mode | ((mode & 0o444) >> 2) if executable else mode & ~0o111
    if wanted != mode:
        os.chmod(path, wanted)


def _write(path: Path, root: Path, data: bytes, mode: str) -> None:
    _make_parent(path, root)
    if path.is_dir() and not path.is_symlink():
        path.rmdir()  # an empty folder where the checkpoint has a file; non-empty raises
    if mode == SYMLINK:
        temporary = path.parent / f".{path.name}.devcli-{os.getpid()}-{os.urandom(4).hex()}"
        os.symlink(os.fsdecode(data), temporary)
        os.replace(temporary, path)
        return
    write_atomically(path, data)  # the rename replaces a symlink itself, not its target
    _set_executable(path, mode == EXECUTABLE)
