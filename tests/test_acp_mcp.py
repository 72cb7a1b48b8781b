"""MCP servers an editor passes with `session/new` are started like configured ones: the model
gets their tools, calls run, and the servers stop with the session."""

import asyncio
import sys
import time
from collections import deque
from pathlib import Path

from acp import text_block
from acp.schema import McpServerStdio

from devcli.events import Observation, read_session_file
from devcli.session_files import list_sessions
from tests.support.acp_client import RecordingClient, devcli_acp
from tests.support.cli import write_turns
from tests.support.mcp_servers import is_running, started_pids

SERVER_SCRIPT = Path(__file__).parent / "support" / "mcp_test_server.py"


def test_an_editors_server_is_started_its_tool_runs_and_it_stops(
    git_repo: Path, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    turns = write_turns(
        tmp_path / "turns.jsonl",
        [
            {
                "content": "Writing through the editor's server.",
                "tool_calls": [
                    {
                        "name": "mcp__editor_tools__write_file",
                        "arguments": {"path": "from-editor.txt", "content": "hello\n"},
                    }
                ],
            },
            {"content": "Done."},
        ],
    )
    server = McpServerStdio(
        name="editor tools",
        command=sys.executable,
        args=[str(SERVER_SCRIPT), "--root", str(git_repo), "--pid-file", str(pids)],
        env=[],
    )

    async def scenario() -> None:
        client = RecordingClient(answers=deque(["allow_once"]))
        async with devcli_acp(client, ["--replay", str(turns)], cwd=git_repo) as agent:
            sid = (await agent.conn.new_session(cwd=str(git_repo), mcp_servers=[server])).session_id
            done = await agent.conn.prompt(session_id=sid, prompt=[text_block("write it")])
            assert done.stop_reason == "end_turn"
            # Untrusted servers' tools ask first, as in the REPL.
            (question,) = client.permissions()
            assert question.answer == "allow_once"

    asyncio.run(scenario())
    assert (git_repo / "from-editor.txt").read_text() == "hello\n"
    (info,) = list_sessions(git_repo)
    (result,) = [e for e in read_session_file(info.path) if isinstance(e, Observation)]
    assert result.name == "mcp__editor_tools__write_file" and not result.is_error
    (pid,) = started_pids(pids)
    deadline = time.monotonic() + 30
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not is_running(pid)  # stopped with the session
