"""`devcli acp` answering the less travelled requests: a hard gate asked about, a client without
file access, a cancel while a question is open, listing and reloading sessions, and requests
that make no sense."""

import asyncio
import base64
import subprocess
import sys
from collections import deque
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest
from acp import RequestError, image_block, text_block
from acp.schema import McpServerStdio

from devcli.events import Finished, Observation, read_session_file
from devcli.sessions import list_sessions
from tests.support.acp_client import RecordingClient, devcli_acp
from tests.support.cli import write_turns


def test_questions_cancel_and_reload_without_client_files(git_repo: Path, tmp_path: Path) -> None:
    target = git_repo / "a.txt"
    target.write_text("old\n")
    turns = write_turns(
        tmp_path / "turns.jsonl",
        [
            {
                "content": "",
                "tool_calls": [
                    {"name": "execute_bash", "arguments": {"command": "git reset --hard"}}
                ],
            },
            {
                "content": "",
                "tool_calls": [
                    {
                        "name": "str_replace_editor",
                        "arguments": {
                            "command": "str_replace",
                            "path": str(target),
                            "old_str": "old",
                            "new_str": "new",
                        },
                    }
                ],
            },
            {
                "content": "",
                "tool_calls": [
                    {"name": "execute_bash", "arguments": {"command": "echo ran > ran.txt"}}
                ],
            },
        ],
    )

    async def scenario() -> str:
        client = RecordingClient(answers=deque(["reject_once", "allow_once"]))
        async with devcli_acp(client, ["--replay", str(turns)], cwd=git_repo, fs=False) as agent:
            sid = (await agent.conn.new_session(cwd=str(git_repo), mcp_servers=[])).session_id
            asked = 0

            async def cancel_at_second_question(session_id: str) -> None:
                nonlocal asked
                asked += 1
                if asked == 3:  # as an editor does: cancel, then answer the open question
                    await agent.conn.cancel(session_id=session_id)

            client.while_asked = cancel_at_second_question
            result = await agent.conn.prompt(session_id=sid, prompt=[text_block("go")])
            assert result.stop_reason == "cancelled"
            assert client.reads == [] and client.writes == []  # no fs capability: the disk
            gate, edit, command = client.permissions()
            assert [gate.answer, edit.answer, command.answer] == [
                "reject_once",
                "allow_once",
                "cancelled",
            ]
            # A hard gate in `ask` mode may be allowed once, never always.
            assert gate.tool_call.title.startswith("Allow this command once?")
            assert [o.kind for o in gate.options] == ["allow_once", "reject_once"]
            assert "git reset --hard" in gate.tool_call.content[0].content.text
            listed = await agent.conn.list_sessions(cwd=str(git_repo))
            assert [(s.session_id, s.title) for s in listed.sessions] == [(sid, "go")]
            # Loading the open session reopens it from its file and shows it again.
            client.log.clear()
            await agent.conn.load_session(cwd=str(git_repo), session_id=sid, mcp_servers=[])
            shown = client.updates()
            assert shown[0].content.text == "go"
            assert [u.status for u in shown if u.session_update == "tool_call_update"] == [
                "failed",
                "completed",
                "failed",
            ]
            return sid

    sid = asyncio.run(scenario())
    assert target.read_text() == "new\n"
    assert not (git_repo / "ran.txt").exists()
    (info,) = list_sessions(git_repo)
    events = read_session_file(info.path)
    gate_result, _, last_result = [e for e in events if isinstance(e, Observation)]
    assert "The user did not allow it." in gate_result.content
    assert last_result.is_error and "Interrupted by the user" in last_result.content
    assert isinstance(events[-1], Finished) and events[-1].reason == "interrupted"
    assert info.id == sid


def test_requests_that_make_no_sense_get_clear_errors(git_repo: Path, tmp_path: Path) -> None:
    turns = write_turns(tmp_path / "turns.jsonl", [{"content": "hi", "tool_calls": []}])

    async def error_of(request: Awaitable[Any]) -> str:
        with pytest.raises(RequestError) as raised:
            await request
        return str(raised.value.data)

    async def scenario() -> None:
        async with devcli_acp(RecordingClient(), ["--replay", str(turns)], cwd=git_repo) as agent:
            conn = agent.conn
            sid = (await conn.new_session(cwd=str(git_repo), mcp_servers=[])).session_id
            assert "not an absolute path" in await error_of(
                conn.new_session(cwd="repo", mcp_servers=[])
            )
            assert "no open session" in await error_of(
                conn.prompt(session_id="nope", prompt=[text_block("hi")])
            )
            assert "no mode is named 'yolo'" in await error_of(
                conn.set_session_mode(session_id=sid, mode_id="yolo")
            )
            assert "no session with an id starting" in await error_of(
                conn.load_session(cwd=str(git_repo), session_id="zzzz", mcp_servers=[])
            )
            png = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
            assert "takes no images" in await error_of(
                conn.prompt(session_id=sid, prompt=[image_block(png, "image/png")])
            )
            # MCP servers from the editor are accepted (and, for now, not started).
            server = McpServerStdio(name="tools", command="true", args=[], env=[])
            assert (await conn.new_session(cwd=str(git_repo), mcp_servers=[server])).session_id
            # The session that exists still answers.
            answer = await conn.prompt(session_id=sid, prompt=[text_block("hello")])
            assert answer.stop_reason == "end_turn"

    asyncio.run(scenario())


def test_without_pipes_it_says_how_it_is_started(git_repo: Path, tmp_path: Path) -> None:
    turns = write_turns(tmp_path / "turns.jsonl", [{"content": "hi", "tool_calls": []}])
    result = subprocess.run(
        [sys.executable, "-m", "devcli", "acp", "--replay", str(turns)],
        cwd=git_repo,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "devcli: acp talks to its client over pipes on stdin and stdout, as an editor starts "
        "it; a file or /dev/null will not do"
    ]
