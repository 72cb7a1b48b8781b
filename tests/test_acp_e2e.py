"""`devcli acp --replay TURNS` as a child process, driven over stdio by the SDK's real client.

One conversation, as an editor would hold it: a prompt whose recorded turns read, think,
edit (one edit refused, one allowed) and finish; a prompt cancelled in the middle of
`sleep 100`; a prompt showing the session still works; then, in a new process, the session
loaded from its file and carried on.
"""

import asyncio
import json
import subprocess
import time
from collections import deque
from pathlib import Path
from typing import Any

import pytest
from acp import text_block
from acp.schema import (
    AgentMessageChunk,
    AgentPlanUpdate,
    FileEditToolCallContent,
    ToolCallProgress,
    ToolCallStart,
    UserMessageChunk,
)

from devcli.events import Finished, Observation, UserMessage, read_session_file
from devcli.session_files import list_sessions
from tests.support.acp_client import (
    AcpAgentProcess,
    PermissionAsked,
    RecordingClient,
    devcli_acp,
)
from tests.support.cli import write_turns
from tests.support.processes import descendants

BOUND_S = 60.0  # a bound on waiting for something that must happen, not a speed check


def bash(command: str) -> dict[str, Any]:
    return {"name": "execute_bash", "arguments": {"command": command}}


def replace(path: Path, old: str, new: str) -> dict[str, Any]:
    arguments = {"command": "str_replace", "path": str(path), "old_str": old, "new_str": new}
    return {"name": "str_replace_editor", "arguments": arguments}


def summary(entry: Any) -> tuple[Any, ...]:
    """One log entry as a comparable tuple (call ids left out: they are generated)."""
    match entry:
        case PermissionAsked():
            return ("permission", entry.tool_call.title, entry.answer)
        case AgentMessageChunk():
            return ("message", entry.content.text)
        case UserMessageChunk():
            return ("user", entry.content.text)
        case ToolCallStart():
            return ("call", entry.kind, entry.status, entry.title)
        case ToolCallProgress():
            return ("update", entry.status)
        case AgentPlanUpdate():
            return ("plan", tuple((e.content, e.status) for e in entry.entries))
    return (type(entry).__name__,)


@pytest.fixture
def repo(git_repo: Path) -> Path:
    (git_repo / "notes.txt").write_text("hello\n")
    subprocess.run(["git", "-C", str(git_repo), "add", "notes.txt"], check=True)
    subprocess.run(["git", "-C", str(git_repo), "commit", "-qm", "notes"], check=True)
    return git_repo


def first_session_turns(notes: Path) -> list[dict[str, Any]]:
    return [
        {
            "content": "Plan:\n- [x] look at the notes\n- [ ] fix the greeting",
            "tool_calls": [bash("cat notes.txt")],
        },
        {
            "content": "",
            "tool_calls": [
                {"name": "think", "arguments": {"thought": "Next:\n1. count lines\n2. edit"}},
                bash("cat notes.txt | wc -l"),
            ],
        },
        {"content": "Shouting it.", "tool_calls": [replace(notes, "hello", "HELLO")]},
        {"content": "A comma then.", "tool_calls": [replace(notes, "hello", "hello, world")]},
        {
            "content": "",
            "tool_calls": [
                {
                    "name": "finish",
                    "arguments": {"message": "The greeting is fixed.", "task_completed": "true"},
                }
            ],
        },
        # second prompt: cancelled while this runs
        {"content": "Waiting.", "tool_calls": [bash("sleep 100")]},
        # third prompt: the session and its shell still work
        {"content": "", "tool_calls": [bash("echo alive")]},
        {"content": "Still here.", "tool_calls": []},
    ]


async def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + BOUND_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def sleeping(agent: AcpAgentProcess) -> list[int]:
    return [pid for pid, argv in descendants(agent.pid) if argv == ["sleep", "100"]]


async def first_process(repo: Path, turns: Path, client: RecordingClient) -> str:
    notes = repo / "notes.txt"
    async with devcli_acp(client, ["--replay", str(turns)], cwd=repo) as agent:
        capabilities = agent.init.agent_capabilities
        assert capabilities is not None and capabilities.load_session is True
        assert capabilities.prompt_capabilities is not None
        assert capabilities.prompt_capabilities.image is False  # the replay backend takes none

        new = await agent.conn.new_session(cwd=str(repo), mcp_servers=[])
        sid = new.session_id
        assert new.modes is not None and new.modes.current_mode_id == "ask"
        assert [mode.id for mode in new.modes.available_modes] == ["ask", "auto-edit", "auto"]

        # -- prompt 1: read, think, a refused edit, an allowed edit, finish -----------------
        client.answers.extend(["allow_always", "reject_once", "allow_once"])
        done = await agent.conn.prompt(session_id=sid, prompt=[text_block("fix the greeting")])
        assert done.stop_reason == "end_turn"
        assert notes.read_text() == "hello, world\n"
        trace = [summary(entry) for entry in client.log]
        assert trace == [
            ("message", "Plan:\n- [x] look at the notes\n- [ ] fix the greeting"),
            ("call", "execute", "pending", "$ cat notes.txt"),
            ("plan", (("look at the notes", "completed"), ("fix the greeting", "pending"))),
            ("permission", "$ cat notes.txt", "allow_always"),
            ("update", "in_progress"),
            ("update", "completed"),
            ("call", "think", "pending", "think: Next:"),
            ("call", "execute", "pending", "$ cat notes.txt | wc -l"),
            ("plan", (("count lines", "pending"), ("edit", "pending"))),
            ("update", "in_progress"),
            ("update", "completed"),
            ("update", "in_progress"),  # `cat` commands are allowed for the session now
            ("update", "completed"),
            ("message", "Shouting it."),
            ("call", "edit", "pending", "edit notes.txt"),
            ("permission", "edit notes.txt", "reject_once"),
            ("update", "failed"),
            ("message", "A comma then."),
            ("call", "edit", "pending", "edit notes.txt"),
            ("permission", "edit notes.txt", "allow_once"),
            ("update", "in_progress"),
            ("update", "completed"),
            ("call", "other", "pending", "finish"),
            ("update", "in_progress"),
            ("update", "completed"),
            ("message", "The greeting is fixed."),
        ]
        updates = client.updates()
        # The command's output comes back with the call.
        outputs = [u for u in updates if isinstance(u, ToolCallProgress) and u.status]
        assert "hello" in outputs[1].content[0].content.text
        # The refused edit was shown with its diff before anybody decided.
        refused = client.permissions()[1]
        assert refused.tool_call.kind == "edit"
        assert [option.kind for option in refused.options] == [
            "allow_once",
            "allow_always",
            "reject_once",
        ]
        (asked_diff,) = refused.tool_call.content
        assert isinstance(asked_diff, FileEditToolCallContent)
        assert (asked_diff.old_text, asked_diff.new_text) == ("hello\n", "HELLO\n")
        # The allowed edit shows its whole-file diff while running and when done.
        diffs = [
            u.content[0]
            for u in updates
            if isinstance(u, ToolCallProgress)
            and u.content
            and isinstance(u.content[0], FileEditToolCallContent)
        ]
        assert [(d.old_text, d.new_text) for d in diffs] == [("hello\n", "hello, world\n")] * 2
        assert diffs[0].path == str(notes)
        # The edit went through the client, which read the buffer first.
        assert str(notes) in client.reads and client.writes == [str(notes)]

        # -- prompt 2: cancelled in the middle of `sleep 100` -------------------------------
        await agent.conn.set_session_mode(session_id=sid, mode_id="auto")
        client.log.clear()
        waiting = asyncio.create_task(
            agent.conn.prompt(session_id=sid, prompt=[text_block("wait a while")])
        )
        await wait_for(lambda: sleeping(agent), "sleep 100 to start")
        await agent.conn.cancel(session_id=sid)
        cancelled = await asyncio.wait_for(waiting, BOUND_S)
        assert cancelled.stop_reason == "cancelled"
        assert sleeping(agent) == []
        assert not client.permissions()  # auto mode asks nothing
        assert [summary(u)[:2] for u in client.updates()] == [
            ("message", "Waiting."),
            ("call", "execute"),
            ("update", "in_progress"),
            ("update", "failed"),
        ]

        # -- prompt 3: the session and its shell carry on -----------------------------------
        client.log.clear()
        again = await agent.conn.prompt(session_id=sid, prompt=[text_block("still there?")])
        assert again.stop_reason == "end_turn"
        results = [u for u in client.updates() if isinstance(u, ToolCallProgress)]
        assert results[-1].status == "completed"
        assert "alive" in results[-1].content[0].content.text
        assert summary(client.updates()[-1]) == ("message", "Still here.")
        return sid


def check_session_file(repo: Path, sid: str) -> Path:
    (info,) = [s for s in list_sessions(repo) if s.id == sid]
    events = read_session_file(info.path)
    observations = [e for e in events if isinstance(e, Observation)]
    # The model read the refusal of the first edit.
    refused = [o for o in observations if o.name == "str_replace_editor" and o.is_error]
    assert len(refused) == 1
    assert "did not approve this edit" in refused[0].content
    # The cancelled turn ended as Ctrl-C ends one, with the command's result recorded.
    assert [e.reason for e in events if isinstance(e, Finished)] == ["finish", "interrupted"]
    sleep_result = next(o for o in observations if o.name == "execute_bash" and o.exit_code == 130)
    assert "exit code 130" in sleep_result.content
    return info.path


async def second_process(repo: Path, sid: str, turns: Path, client: RecordingClient) -> None:
    args = ["--replay", str(turns), "--approval", "auto"]
    async with devcli_acp(client, args, cwd=repo) as agent:
        loaded = await agent.conn.load_session(cwd=str(repo), session_id=sid, mcp_servers=[])
        assert loaded is not None and loaded.modes is not None
        assert loaded.modes.current_mode_id == "auto"
        history = client.updates()
        assert [summary(u)[1] for u in history if isinstance(u, UserMessageChunk)] == [
            "fix the greeting",
            "wait a while",
            "still there?",
        ]
        calls = [u for u in history if isinstance(u, ToolCallStart)]
        assert [c.kind for c in calls] == [
            "execute",
            "think",
            "execute",
            "edit",
            "edit",
            "other",
            "execute",
            "execute",
        ]
        statuses = [u.status for u in history if isinstance(u, ToolCallProgress)]
        assert statuses == [
            "completed",
            "completed",
            "completed",
            "failed",
            "completed",
            "completed",
            "failed",
            "completed",
        ]
        fragments = [
            (c.old_text, c.new_text)
            for u in history
            if isinstance(u, ToolCallProgress) and u.content
            for c in u.content
            if isinstance(c, FileEditToolCallContent)
        ]
        assert fragments == [("hello", "hello, world")]

        # The conversation goes on; a hard gate stays hard with nobody asked.
        client.log.clear()
        more = await agent.conn.prompt(session_id=sid, prompt=[text_block("and reset it")])
        assert more.stop_reason == "end_turn"
        assert not client.permissions()
        assert (repo / "notes.txt").read_text() == "hello, world\n"
        refusal = [u for u in client.updates() if isinstance(u, ToolCallProgress)][-1]
        assert refusal.status == "failed"
        assert "hard gate" in refusal.content[0].content.text


def test_a_conversation_through_the_protocol(repo: Path, tmp_path: Path) -> None:
    notes = repo / "notes.txt"
    turns = write_turns(tmp_path / "turns.jsonl", first_session_turns(notes))
    sid = asyncio.run(first_process(repo, turns, RecordingClient(answers=deque())))
    path = check_session_file(repo, sid)
    lines_before = len(path.read_text().splitlines())

    later = write_turns(
        tmp_path / "later.jsonl",
        [
            {"content": "", "tool_calls": [bash("git reset --hard")]},
            {"content": "Leaving it as it is.", "tool_calls": []},
        ],
    )
    asyncio.run(second_process(repo, sid, later, RecordingClient()))
    events = read_session_file(path)
    assert len(path.read_text().splitlines()) > lines_before
    assert [e.content for e in events if isinstance(e, UserMessage)][-1] == "and reset it"
    assert json.loads(path.read_text().splitlines()[0])["id"] == sid
