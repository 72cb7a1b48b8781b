"""A write interrupted by a kill leaves no temporary file once devcli starts again."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from devcli.tools import pending_writes
from devcli.tools.editor import EditorArgs, EditorTool
from devcli.tools.pending_writes import TEMPORARY_MARK

# A child process that dies (SIGKILL) after filling the temporary file, before the rename.
KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from devcli.tools import text_file
    text_file.os.replace = lambda *_: os.kill(os.getpid(), signal.SIGKILL)
    text_file.write_atomically(Path(sys.argv[1]), b"new content" * 100_000)
    """
)


def killed_write(target: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(target)], capture_output=True, check=False
    )


def leftovers(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if TEMPORARY_MARK in path.name]


def test_a_killed_write_leaves_the_old_file_and_a_marked_temporary(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("old\n")
    done = killed_write(target)
    assert done.returncode == -signal.SIGKILL
    assert target.read_text() == "old\n"
    [temporary] = leftovers(tmp_path)
    assert temporary.name.startswith(".notes.txt" + TEMPORARY_MARK)


def test_the_next_start_removes_what_a_killed_write_left(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("old\n")
    killed_write(target)
    killed_write(tmp_path / "other.py")
    assert len(leftovers(tmp_path)) == 2
    EditorTool(tmp_path)  # what every session does when it starts
    assert leftovers(tmp_path) == []
    assert target.read_text() == "old\n"
    assert not any(pending_writes.journal_dir().iterdir())


def test_a_write_still_in_progress_elsewhere_is_left_alone(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        temporary = tmp_path / f".busy.txt{TEMPORARY_MARK}{sleeper.pid}-abcd"
        temporary.write_text("half")
        entry = pending_writes.journal_dir() / f"{sleeper.pid}-000000000000"
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_bytes(os.fsencode(temporary))
        assert pending_writes.sweep() == []
        assert temporary.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert pending_writes.sweep() == [temporary]


def test_only_files_with_the_mark_are_ever_deleted(tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("keep\n")
    entry = pending_writes.journal_dir() / "999999999-000000000000"
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(os.fsencode(precious))
    pending_writes.sweep()
    assert precious.read_text() == "keep\n" and not entry.exists()


def test_ordinary_writes_leave_no_journal_behind(tmp_path: Path) -> None:
    editor = EditorTool(tmp_path)
    path = tmp_path / "a.txt"
    editor.execute(EditorArgs(command="create", path=str(path), file_text="one\n"))
    editor.execute(EditorArgs(command="str_replace", path=str(path), old_str="one", new_str="two"))
    assert path.read_text() == "two\n"
    assert leftovers(tmp_path) == []
    assert not any(pending_writes.journal_dir().iterdir())
