"""The REPL with a repository that declares its own MCP server, in a real terminal (tmux): the
person is asked before it starts, `/mcp` shows it, its tool asks before it runs."""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mcp_servers import is_running, servers_toml, started_pids, stdio_server
from tests.test_tmux_repl import TMUX, Pane, prompt_ready

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")

TURNS = [
    {
        "content": "Writing the note with the project's tool.",
        "tool_calls": [
            {
                "name": "mcp__local__write_file",
                "arguments": {"path": "note.txt", "content": "from the REPL\n"},
            }
        ],
    },
    {"content": "The note is written."},
]


@pytest.fixture
def pane() -> Iterator[Pane]:
    socket = Path("/tmp") / f"devcli-tmux-mcp-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    env.pop("TMUX", None)
    env.pop("NO_COLOR", None)
    try:
        yield Pane(socket, env)
    finally:
        subprocess.run([TMUX or "tmux", "-S", str(socket), "kill-server"], capture_output=True)
        socket.unlink(missing_ok=True)


def start(pane: Pane, repo: Path, tmp_path: Path) -> Path:
    pids = tmp_path / "pids"
    (repo / ".devcli.toml").write_text(servers_toml({"local": stdio_server(repo, pids)}))
    turns = tmp_path / "turns.jsonl"
    turns.write_text("".join(json.dumps(t) + "\n" for t in TURNS))
    pane.start(
        f"cd {repo} && {sys.executable} -m devcli --replay {turns}; "
        'echo "[devcli exited with $?]"; sleep 600'
    )
    screen = pane.wait_for("Choose 1-3:")
    assert "declares MCP servers" in screen and "local: " in screen
    return pids


def test_the_person_allows_the_project_server_and_sees_it_work(
    pane: Pane, git_repo: Path, tmp_path: Path
) -> None:
    pids = start(pane, git_repo, tmp_path)
    pane.type("1")
    pane.press("Enter")
    pane.wait_for(prompt_ready(0))

    pane.type("/mcp")
    pane.press("Enter")
    screen = pane.wait_for("mcp__local__write_file")
    assert "running" in screen and "mcp__local__echo_upper" in screen

    shown = len(pane.screen())
    pane.type("write a note")
    pane.press("Enter")
    screen = pane.wait_for("Allow this command?", after=shown - 100)
    assert "lways allow `mcp__local__write_file` calls" in screen.replace("\n", "")
    assert not (git_repo / "note.txt").exists()
    pane.type("y")
    pane.wait_for("The note is written.")
    assert (git_repo / "note.txt").read_text() == "from the REPL\n"

    pane.wait_for(prompt_ready(2))
    pane.type("/exit")
    pane.press("Enter")
    pane.wait_for("[devcli exited with 0]")
    assert len(started_pids(pids)) == 1
    assert not any(is_running(pid) for pid in started_pids(pids))


def test_a_refused_project_server_never_starts(pane: Pane, git_repo: Path, tmp_path: Path) -> None:
    pids = start(pane, git_repo, tmp_path)
    pane.type("3")
    pane.press("Enter")
    pane.wait_for(prompt_ready(0))
    pane.type("/mcp")
    pane.press("Enter")
    pane.wait_for("No MCP servers in this session")
    pane.press("C-d")
    pane.wait_for("[devcli exited with 0]")
    assert started_pids(pids) == []
