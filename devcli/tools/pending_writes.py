"""Temporary files of atomic writes, and cleaning up those a killed process left behind.

An atomic write fills a temporary file beside the target and renames it over the target. If
devcli is killed in between, the temporary file stays. Each one is named so it is
recognisably devcli's (`.NAME.devcli-tmp-PID-XXXXXXXX`) and is noted, before it is created,
in a small journal in devcli's data folder; the note goes once the write is over. The next
devcli to start deletes the temporary files noted by processes that no longer run.
"""

import contextlib
import os
import secrets
from pathlib import Path

from devcli.paths import data_dir

TEMPORARY_MARK = ".devcli-tmp-"


def journal_dir() -> Path:
    return data_dir() / "pending-writes"


def temporary_for(target: Path) -> Path:
    """A fresh, recognisable name for the temporary file of a write to `target`."""
    token = secrets.token_hex(4)
    name = target.name[:180]  # file names stop at 255 bytes
    return target.parent / f".{name}{TEMPORARY_MARK}{os.getpid()}-{token}"


def note(temporary: Path) -> Path | None:
    """Record that `temporary` is about to exist; None when the journal cannot be written
    (the write goes ahead: only the clean-up after a crash is lost)."""
    folder = journal_dir()
    entry = folder / f"{os.getpid()}-{secrets.token_hex(6)}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        entry.write_bytes(os.fsencode(temporary))
    except OSError:
        return None
    return entry


def forget(entry: Path | None) -> None:
    if entry is not None:
        with contextlib.suppress(OSError):
            entry.unlink()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def sweep() -> list[Path]:
    """Delete the temporary files of writes whose process is gone; returns what was deleted."""
    removed: list[Path] = []
    try:
        entries = list(journal_dir().iterdir())
    except OSError:
        return removed
    for entry in entries:
        pid_text, _, _ = entry.name.partition("-")
        if not pid_text.isdigit() or _running(int(pid_text)):
            continue
        try:
            temporary = Path(os.fsdecode(entry.read_bytes()))
        except OSError:
            continue
        # Only a file that carries devcli's mark is ever deleted.
        if TEMPORARY_MARK in temporary.name:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
                temporary.unlink()
                removed.append(temporary)
        forget(entry)
    return removed
