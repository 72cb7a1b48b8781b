"""A real terminal for the interactive session: one tmux server per test, driven by keys."""

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
WAIT_LIMIT_S = 90.0  # bounds each wait so a broken REPL fails instead of hanging


class Pane:
    """One tmux session on a private server socket."""

    def __init__(self, socket: Path, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env
        self.name = "repl"

    def tmux(self, *args: str) -> str:
        assert TMUX is not None
        result = subprocess.run(
            [TMUX, "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            timeout=30,
            env=self.env,
            check=True,
        )
        return result.stdout

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-s", self.name, "-x", "110", "-y", "45", command)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.name, "-l", text)

    def press(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-J", "-S", "-400", "-t", self.name)

    def wait_for(self, what: str | Callable[[str], bool], after: int = 0) -> str:
        """Wait until the text (or predicate) shows on screen after the first `after` chars."""
        check = what if callable(what) else (lambda screen: what in screen)
        deadline = time.monotonic() + WAIT_LIMIT_S
        while True:
            screen = self.screen()
            if check(screen[after:]):
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"never saw {what!r} on the screen:\n{screen}")
            time.sleep(0.1)


@contextmanager
def tmux_pane() -> Iterator[Pane]:
    socket = Path("/tmp") / f"devcli-tmux-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    env.pop("TMUX", None)
    env.pop("NO_COLOR", None)
    pane = Pane(socket, env)
    try:
        yield pane
    finally:
        subprocess.run([TMUX or "tmux", "-S", str(socket), "kill-server"], capture_output=True)
        socket.unlink(missing_ok=True)
