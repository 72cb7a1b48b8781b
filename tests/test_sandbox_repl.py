"""The interactive session takes `--sandbox` and `--network` too, and says once when the
sandbox cannot run. A real terminal (tmux), replayed turns."""

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devcli.events import Observation, read_session_file
from tests.support.sandbox import requires_sandbox
from tests.test_tmux_repl import TMUX, Pane

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Pane]:
    socket = Path("/tmp") / f"devcli-tmux-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    env.pop("TMUX", None)
    pane = Pane(socket, env)
    try:
        yield pane
    finally:
        subprocess.run([TMUX or "tmux", "-S", str(socket), "kill-server"], capture_output=True)
        socket.unlink(missing_ok=True)


def start(pane: Pane, repo: Path, turns: list[dict[str, object]], flags: str) -> Path:
    file = repo.parent / "turns.jsonl"
    file.write_text("".join(json.dumps(turn) + "\n" for turn in turns))
    session = repo.parent / "session.jsonl"
    pane.start(
        f"cd {repo} && {sys.executable} -m devcli --replay {file} --session-file {session} "
        f'--approval auto {flags}; echo "[devcli exited with $?]"; sleep 600'
    )
    return session


@requires_sandbox
def test_read_only_and_network_off_reach_the_interactive_session(
    terminal: Pane, git_repo: Path
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening:  # the kernel accepts for it
        port = listening.getsockname()[1]
        connect = (
            f"python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 5); "
            "print('connected')\""
        )
        command = f"touch new.txt; {connect}"
        turns: list[dict[str, object]] = [
            {"tool_calls": [{"name": "execute_bash", "arguments": {"command": command}}]},
            {"content": "Checked."},
        ]
        session = start(terminal, git_repo, turns, "--sandbox read-only --network off")
        terminal.wait_for("0 steps · approval auto")
        terminal.type("look around")
        terminal.press("Enter")
        terminal.wait_for("Checked.")
        terminal.wait_for("2 steps · approval auto")
    terminal.type("/exit")
    terminal.press("Enter")
    terminal.wait_for("[devcli exited with 0]")
    observation = next(e for e in read_session_file(session) if isinstance(e, Observation))
    assert "Read-only file system" in observation.content
    assert not (git_repo / "new.txt").exists()
    assert "Connection refused" in observation.content and "connected" not in observation.content


def test_a_missing_bubblewrap_is_one_line_and_required_exits_2(
    terminal: Pane, git_repo: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-bwrap"
    terminal.env["DEVCLI_SANDBOX_BINARY"] = str(missing)
    start(terminal, git_repo, [{"content": "hello"}], "")
    screen = terminal.wait_for("0 steps · approval auto")
    assert screen.count("without a sandbox") == 1
    assert f"{missing} does not exist" in screen.replace("\n", "")
    terminal.press("C-d")
    terminal.wait_for("[devcli exited with 0]")

    terminal.name = "required"  # a second window on the same server
    start(terminal, git_repo, [{"content": "hello"}], "--sandbox required")
    screen = terminal.wait_for("[devcli exited with 2]")
    assert "the sandbox is required but cannot run" in screen.replace("\n", "")
