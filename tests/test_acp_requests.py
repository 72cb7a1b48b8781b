"""`devcli acp` answering the less travelled requests: a client without file access, a cancel
while a question is open, listing sessions, and requests that make no sense."""

import asyncio
from collections import deque
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest
from acp import RequestError, text_block

from devcli.events import Finished, Observation, read_session_file
from devcli.sessions import list_sessions
from tests.support.acp_client import RecordingClient, devcli_acp
from tests.support.cli import write_turns


def test_no_client_files_and_a_cancel_while_asked(git_repo: Path, tmp_path: Path) -> None:
    target = git_repo / "a.txt"
    target.write_text("old\n")
    turns = write_turns(
        tmp_path / "turns.jsonl",
        [
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
        client = RecordingClient(answers=deque(["allow_once"]))
        async with devcli_acp(client, ["--replay", str(turns)], cwd=git_repo, fs=False) as agent:
            sid = (await agent.conn.new_session(cwd=str(git_repo), mcp_servers=[])).session_id
            asked = 0

            async def cancel_at_second_question(session_id: str) -> None:
                nonlocal asked
                asked += 1
                if asked == 2:  # as an editor does: cancel, then answer the open question
                    await agent.conn.cancel(session_id=session_id)

            client.while_asked = cancel_at_second_question
            result = await agent.conn.prompt(session_id=sid, prompt=[text_block("go")])
            assert result.stop_reason == "cancelled"
            assert client.reads == [] and client.writes == []  # no fs capability: the disk
            assert [p.answer for p in client.permissions()] == ["allow_once", "cancelled"]
            listed = await agent.conn.list_sessions(cwd=str(git_repo))
            assert [(s.session_id, s.title) for s in listed.sessions] == [(sid, "go")]
            return sid

    sid = asyncio.run(scenario())
    assert target.read_text() == "new\n"
    assert not (git_repo / "ran.txt").exists()
    (info,) = list_sessions(git_repo)
    events = read_session_file(info.path)
    last_result = [e for e in events if isinstance(e, Observation)][-1]
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
            # The session that exists still answers.
            answer = await conn.prompt(session_id=sid, prompt=[text_block("hello")])
            assert answer.stop_reason == "end_turn"

    asyncio.run(scenario())
