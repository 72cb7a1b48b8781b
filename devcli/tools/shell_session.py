"""One persistent, non-interactive-friendly bash process on a pseudo-terminal.

A pty gives commands a real terminal (Ctrl-C, Ctrl-D and Ctrl-Z work as for a person, and
`read -p` or `input()` get their input), and bash's job control puts every command in its own
process group, which is what the hard timeout kills. Each command is written to a file and
sourced, so long lines and heredocs never meet the terminal's 4 KiB line limit. After every
command, PROMPT_COMMAND prints a marker line carrying the exit status and working directory.
"""

import codecs
import contextlib
import fcntl
import os
import pty
import re
import secrets
import select
import shutil
import signal
import struct
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel

# The reader keeps at most this much output that no call has collected (e.g. a background
# server's log between calls); older bytes are dropped.
_MAX_UNCOLLECTED_BYTES = 2_000_000
# Per call, output past this many characters keeps only its head and tail.
_KEEP_HEAD_CHARS = 100_000
_KEEP_TAIL_CHARS = 100_000

CONTROL_KEYS = {"C-c": b"\x03", "C-d": b"\x04", "C-z": b"\x1a", "C-\\": b"\x1c"}

# Commands run as if nobody were at the keyboard: no pager, no editor, no colours.
NON_INTERACTIVE_ENV = {
    "PAGER": "cat",
    "GIT_PAGER": "cat",
    "MANPAGER": "cat",
    "SYSTEMD_PAGER": "",
    "LESS": "-FRX",
    "EDITOR": "true",
    "VISUAL": "true",
    "GIT_EDITOR": "true",
    "GIT_SEQUENCE_EDITOR": "true",
    "GIT_TERMINAL_PROMPT": "0",
    "TERM": "dumb",
    "NO_COLOR": "1",
    "CLICOLOR": "0",
    "PYTHONUNBUFFERED": "1",
    "PIP_NO_INPUT": "1",
    "DEBIAN_FRONTEND": "noninteractive",
    "VIRTUAL_ENV_DISABLE_PROMPT": "1",
    "HISTFILE": "/dev/null",
    "COLUMNS": "200",
    "LINES": "50",
}

_SHELL_SETUP = r"""
set +H
set +o history
# Aliases never expand: a command runs what it reads (the hard gates read it that way).
shopt -u expand_aliases
less() { cat "$@"; }
more() { cat "$@"; }
most() { cat "$@"; }
"""


class Stop(StrEnum):
    FINISHED = "finished"
    SOFT_TIMEOUT = "soft_timeout"
    HARD_TIMEOUT = "hard_timeout"
    SHELL_EXITED = "shell_exited"
    UNRESPONSIVE = "unresponsive"


class CommandOutcome(BaseModel):
    output: str
    stop: Stop
    exit_code: int | None = None
    cwd: str
    omitted_chars: int = 0


class ShellError(RuntimeError):
    """The shell could not be started."""


# Turns bash's command line into the one that starts it, e.g. inside a sandbox.
ShellLauncher = Callable[[list[str]], list[str]]


class _Capture:
    """Collects one call's output, keeping head and tail of very long outputs."""

    def __init__(self) -> None:
        self.head = ""
        self.tail = ""
        self.omitted = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def add(self, data: bytes) -> None:
        text = self._decoder.decode(data).replace("\r\n", "\n")
        if len(self.head) < _KEEP_HEAD_CHARS:
            room = _KEEP_HEAD_CHARS - len(self.head)
            self.head += text[:room]
            text = text[room:]
        self.tail += text
        if len(self.tail) > _KEEP_TAIL_CHARS:
            cut = len(self.tail) - _KEEP_TAIL_CHARS
            self.omitted += cut
            self.tail = self.tail[cut:]

    def text(self) -> str:
        return self.head + self.tail

    def remove_suffix(self, count: int) -> None:
        if count <= len(self.tail):
            self.tail = self.tail[: len(self.tail) - count]
        else:
            self.head = self.head[: len(self.head) - (count - len(self.tail))]
            self.tail = ""


class ShellSession:
    def __init__(
        self,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        launcher: ShellLauncher | None = None,
    ) -> None:
        self.initial_cwd = cwd
        self._launcher = launcher
        self.cwd = str(cwd)
        self._nonce = secrets.token_hex(6)
        self._marker = re.compile(rf"\n?__devcli_{self._nonce}__ (\d+) ([^\n]*)\n")
        self._scratch = Path(tempfile.mkdtemp(prefix="devcli-shell-"))
        self._command_file = self._scratch / "command.sh"
        self._lock = threading.Condition()
        self._pending = bytearray()
        self._eof = False
        self.running = False
        self.exit_status: int | None = None
        # Once reaped, the shell's pid may belong to any new process: it is never signalled again.
        self._reaped = False
        # The terminal's fd number is reused by the next file this process opens once closed,
        # so it is closed only after the reader has stopped, and never written after that.
        self._fd_lock = threading.Lock()
        self._closed = False
        self._wake_read, self._wake_write = os.pipe()
        self._spawn(dict(env) if env is not None else dict(os.environ))

    # -- process ---------------------------------------------------------------------------

    def _spawn(self, base_env: dict[str, str]) -> None:
        env = base_env | NON_INTERACTIVE_ENV
        env["PS1"] = ""
        env["PS2"] = ""
        env["PROMPT_COMMAND"] = (
            f'__devcli_rc=$?; PS1=; PS2=; printf "\\n__devcli_{self._nonce}__ %s %s\\n" '
            '"$__devcli_rc" "$PWD"'
        )
        bash = shutil.which("bash") or "/bin/bash"
        argv = [bash, "--norc", "--noprofile", "--noediting", "-i"]
        if self._launcher is not None:
            argv = self._launcher(argv)
        pid, fd = pty.fork()
        if pid == 0:  # child: become the shell
            try:
                attrs = termios.tcgetattr(0)
                attrs[1] &= ~termios.ONLCR
                attrs[3] &= ~(termios.ECHO | termios.ECHONL)
                termios.tcsetattr(0, termios.TCSANOW, attrs)
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
                os.chdir(self.initial_cwd)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid = pid
        self._fd = fd
        self._reader = threading.Thread(
            target=self._read_forever, name=f"devcli-shell-reader-{pid}", daemon=True
        )
        self._reader.start()
        self.running = True
        first_prompt = self._collect(soft_timeout=None, hard_timeout=15, kill_on_hard=False)
        # bash's own process group, as this process numbers it: the shell itself when it runs
        # directly, a process inside the sandbox (not `pid`, its launcher) when it is wrapped.
        self._shell_group = self._foreground_group()
        setup = _SHELL_SETUP + "readonly PROMPT_COMMAND\n"
        outcome = first_prompt
        if first_prompt.stop is Stop.FINISHED:
            outcome = self._run_source(setup, soft_timeout=None, hard_timeout=15)
        if outcome.stop is not Stop.FINISHED:
            self.close()
            raise ShellError(f"bash did not start: {outcome.output.strip()[:500]}")

    def _read_forever(self) -> None:
        waiting = select.poll()
        waiting.register(self._fd, select.POLLIN)
        waiting.register(self._wake_read, select.POLLIN)
        while True:
            ready = {fd for fd, _ in waiting.poll()}
            data = b""
            if self._wake_read not in ready:  # woken by close(): stop without reading again
                try:
                    data = os.read(self._fd, 65536)
                except OSError:
                    data = b""
            with self._lock:
                if not data:
                    self._eof = True
                    self._lock.notify_all()
                    return
                self._pending += data
                if not self.running and len(self._pending) > _MAX_UNCOLLECTED_BYTES:
                    del self._pending[: len(self._pending) - _MAX_UNCOLLECTED_BYTES // 2]
                self._lock.notify_all()

    @property
    def alive(self) -> bool:
        return not self._eof

    def close(self) -> None:
        with self._fd_lock:
            if self._closed:
                return
            self._closed = True
        if not self._reaped:
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGHUP)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()
        os.write(self._wake_write, b"x")
        self._reader.join(timeout=5)
        with self._fd_lock:
            # A reader that never stopped may still read the fd: leaking it beats handing it
            # another file's data.
            if not self._reader.is_alive():
                os.close(self._fd)
                os.close(self._wake_read)
            os.close(self._wake_write)
        shutil.rmtree(self._scratch, ignore_errors=True)

    def _reap(self) -> None:
        with contextlib.suppress(ChildProcessError):
            _, status = os.waitpid(self.pid, 0)
            self.exit_status = os.waitstatus_to_exitcode(status)
        self._reaped = True

    # -- commands --------------------------------------------------------------------------

    def run(self, command: str, soft_timeout: float | None, hard_timeout: float) -> CommandOutcome:
        """Start a command (none may be running) and wait as the timeouts allow."""
        return self._run_source(command, soft_timeout, hard_timeout)

    def send(self, keys: str, soft_timeout: float | None, hard_timeout: float) -> CommandOutcome:
        """Type into the running command: "" only waits, C-c/C-d/C-z are control keys."""
        if keys in CONTROL_KEYS:
            self._write(CONTROL_KEYS[keys])
        elif keys:
            self._write((keys if keys.endswith("\n") else keys + "\n").encode())
        return self._collect(soft_timeout, hard_timeout)

    def interrupt(self) -> None:
        """Press Ctrl-C for the running command, from any thread: the call waiting on it sees
        the command end as it would after a person's Ctrl-C. Collects nothing itself."""
        self._write(CONTROL_KEYS["C-c"])

    def _run_source(
        self, command: str, soft_timeout: float | None, hard_timeout: float
    ) -> CommandOutcome:
        self._command_file.write_text(command + "\n", encoding="utf-8")
        with self._lock:
            self.running = True
        self._write(f"source {self._command_file}\n".encode())
        return self._collect(soft_timeout, hard_timeout)

    def _write(self, data: bytes) -> None:
        with self._fd_lock, contextlib.suppress(OSError):
            if not self._closed:
                os.write(self._fd, data)

    def _collect(
        self, soft_timeout: float | None, hard_timeout: float, kill_on_hard: bool = True
    ) -> CommandOutcome:
        capture = _Capture()
        started = last_output = time.monotonic()
        while True:
            with self._lock:
                if not self._pending and not self._eof:
                    self._lock.wait(timeout=0.05)
                data = bytes(self._pending)
                self._pending.clear()
                eof = self._eof
            now = time.monotonic()
            if data:
                capture.add(data)
                last_output = now
                region = capture.tail or capture.head
                window = max(0, len(region) - len(data) - 300)
                match = None
                for match in self._marker.finditer(region, window):  # noqa: B007 - want the last
                    pass
                if match is not None:
                    return self._finished(capture, region, match)
            if eof:
                return self._exited(capture)
            if now - started > hard_timeout:
                if kill_on_hard:
                    return self._kill_running(capture)
                return self._outcome(capture, Stop.UNRESPONSIVE)
            if soft_timeout is not None and now - last_output > soft_timeout:
                return self._outcome(capture, Stop.SOFT_TIMEOUT)

    def _outcome(self, capture: _Capture, stop: Stop) -> CommandOutcome:
        return CommandOutcome(
            output=capture.text(), stop=stop, cwd=self.cwd, omitted_chars=capture.omitted
        )

    def _finished(self, capture: _Capture, tail: str, match: re.Match[str]) -> CommandOutcome:
        # Output after the marker belongs to no command yet (e.g. a background job): keep it.
        leftover = tail[match.end() :]
        if leftover:
            with self._lock:
                self._pending[:0] = leftover.encode()
        capture.remove_suffix(len(tail) - match.start())
        self.cwd = match.group(2)
        with self._lock:
            self.running = False
        return CommandOutcome(
            output=capture.text(),
            stop=Stop.FINISHED,
            exit_code=int(match.group(1)),
            cwd=self.cwd,
            omitted_chars=capture.omitted,
        )

    def _exited(self, capture: _Capture) -> CommandOutcome:
        if not self._reaped:
            # Jobs left in the shell's group go with it; its pid is still its own until reaped.
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGHUP)
            self._reap()
        with self._lock:
            self.running = False
        return CommandOutcome(
            output=capture.text(),
            stop=Stop.SHELL_EXITED,
            exit_code=self.exit_status,
            cwd=self.cwd,
            omitted_chars=capture.omitted,
        )

    def _foreground_group(self) -> int:
        with self._fd_lock, contextlib.suppress(OSError):
            if not self._closed:
                return os.tcgetpgrp(self._fd)
        return self.pid

    def _kill_running(self, capture: _Capture) -> CommandOutcome:
        """Kill the foreground job's whole process group; the shell itself survives."""
        group = self._foreground_group()
        if group > 0 and group != self._shell_group:
            with contextlib.suppress(OSError):
                os.killpg(group, signal.SIGKILL)
        else:  # a shell builtin is looping inside bash itself: interrupt it
            self._write(CONTROL_KEYS["C-c"])
        rest = self._collect(soft_timeout=None, hard_timeout=5, kill_on_hard=False)
        stop = Stop.HARD_TIMEOUT if rest.stop is Stop.FINISHED else rest.stop
        return CommandOutcome(
            output=capture.text() + rest.output,
            stop=stop,
            exit_code=rest.exit_code,
            cwd=self.cwd,
            omitted_chars=capture.omitted + rest.omitted_chars,
        )
