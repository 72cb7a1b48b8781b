"""`devcli run` against the real `llama_cpp.server` with an MCP server configured: the request
the server receives offers the MCP tools beside devcli's own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devcli.events import Finished, read_session_file
from tests.support.llama_server import running_llama_server
from tests.support.mcp_servers import is_running, started_pids, stdio_server, write_user_config
from tests.support.recording_proxy import recording_proxy

pytestmark = pytest.mark.slow

N_CTX = 8192


def test_the_request_carries_mcp_tools_beside_devcli_s_own(git_repo: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    write_user_config(
        Path(os.environ["XDG_CONFIG_HOME"]),
        {"local": stdio_server(git_repo, pids, tools=["write_file", "plan"])},
    )
    session = tmp_path / "session.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MISTRAL_"))}
    env.update(NO_COLOR="1")
    with (
        running_llama_server(tmp_path, n_ctx=N_CTX) as server,
        recording_proxy(server.url) as proxy,
    ):
        result = subprocess.run(
            [
                sys.executable, "-m", "devcli", "run",
                "--endpoint", proxy.url,
                "--temperature", "0", "--seed", "7",
                "--ctx-size", str(N_CTX),
                "--max-steps", "1",
                "--session-file", str(session),
                "Write hello into notes.txt.",
            ],
            cwd=git_repo,
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    chats = proxy.chat_requests()
    assert chats, output
    offered = {tool["function"]["name"]: tool["function"] for tool in chats[0]["tools"]}
    assert list(offered) == [
        "execute_bash",
        "str_replace_editor",
        "think",
        "finish",
        "git",
        "mcp__local__write_file",
        "mcp__local__plan",
    ]
    assert offered["mcp__local__write_file"]["parameters"] == {
        "type": "object",
        "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
        "required": ["path", "content"],
    }
    assert "$ref" not in str(offered["mcp__local__plan"]["parameters"])
    finished = read_session_file(session)[-1]
    assert isinstance(finished, Finished) and result.returncode == finished.exit_code
    assert len(started_pids(pids)) == 1
    assert not any(is_running(pid) for pid in started_pids(pids))
