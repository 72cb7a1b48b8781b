"""The shell's end: nothing of it outlives close(), and nothing it once owned is touched after."""

import os
import signal
import threading
from pathlib import Path

import pytest

from devcli.tools import shell_session
from devcli.tools.shell_session import ShellSession, Stop


def reader_running(session: ShellSession) -> bool:
    name = f"devcli-shell-reader-{session.pid}"
    return any(thread.name == name for thread in threading.enumerate())


def test_close_stops_the_reader_while_a_job_still_holds_the_terminal(tmp_path: Path) -> None:
    # A job in its own process group that ignores SIGHUP keeps the terminal open after the
    # shell is killed. A reader left waiting on it would, once the fd number is reused by the
    # next file this process opens, read that file's data instead.
    session = ShellSession(tmp_path)
    started = session.run("(trap '' HUP; exec sleep 60) & echo $! > job.pid", None, 15)
    assert started.stop is Stop.FINISHED
    job = int((tmp_path / "job.pid").read_text())
    try:
        assert reader_running(session)
        session.close()
        assert not reader_running(session)
        os.kill(job, 0)  # the job is still alive: the terminal really was held
    finally:
        os.kill(job, signal.SIGKILL)


def test_a_shell_that_exited_is_never_signalled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Once reaped, its pid can belong to any process started later, e.g. one of the user's.
    session = ShellSession(tmp_path)
    outcome = session.run("exit 3", None, 15)
    assert outcome.stop is Stop.SHELL_EXITED and outcome.exit_code == 3
    signalled: list[int] = []
    monkeypatch.setattr(shell_session.os, "kill", lambda pid, _sig: signalled.append(pid))
    monkeypatch.setattr(shell_session.os, "killpg", lambda pid, _sig: signalled.append(pid))
    session.close()
    assert signalled == []
    assert not reader_running(session)


def test_close_twice_and_interrupt_after_close_are_harmless(tmp_path: Path) -> None:
    session = ShellSession(tmp_path)
    session.close()
    session.close()
    session.interrupt()
    assert not session.alive
