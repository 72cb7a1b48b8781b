"""Servers that leave a model's tool calls in `content` (Ollama, LM Studio, llama-server without
a parser): `devcli run --endpoint …` against a loopback server whose replies hold Hermes
`<tool_call>` blocks, bare JSON objects and Llama 3 calls creates exactly the expected files,
runs nothing twice and keeps malformed JSON out of the history it sends back."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devcli.events import AssistantTurn, Finished, Observation, read_session_file
from tests.support.fault_server import FaultServer, running_fault_server, text_reply
from tests.test_remote_faults import TOOLS, Harness

INDENTED = "def main():\n" + " " * 64 + "return {'ok': [1, 2]}\n"
UNICODE = "Grüße ✓ 日本語 🚀\n"
_REMOTE_VARIABLES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "MISTRAL_API_KEY")


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running_fault_server() as running:
        yield running


def hermes(name: str, arguments: dict[str, Any]) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


def bare(name: str, arguments: dict[str, Any]) -> str:
    return json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)


def llama3(name: str, arguments: dict[str, Any]) -> str:
    return json.dumps({"name": name, "parameters": arguments})


WRITERS = {
    "hermes": hermes,
    "hermes-without-tags": bare,
    "llama3": llama3,
    "llama3-python-tag": lambda name, arguments: "<|python_tag|>" + llama3(name, arguments),
}


def devcli_run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in _REMOTE_VARIABLES}
    env.update(NO_COLOR="1", HOME=str(cwd.parent))
    return subprocess.run(
        [sys.executable, "-m", "devcli", "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.parametrize("style", list(WRITERS))
def test_a_session_whose_calls_stay_in_content_creates_the_files_exactly(
    style: str, server: FaultServer, git_repo: Path, tmp_path: Path
) -> None:
    write = WRITERS[style]
    source, notes = git_repo / "src" / "main.py", git_repo / "notes.txt"
    server.script(
        text_reply(
            "I will create the module.\n"
            + write(
                "str_replace_editor",
                {"command": "create", "path": str(source), "file_text": INDENTED},
            ),
            pieces=7,
        ),
        text_reply(
            write(
                "str_replace_editor",
                {"command": "create", "path": str(notes), "file_text": UNICODE},
            )
            + "\n"
            + write("execute_bash", {"command": "echo ran >> log.txt"}),
            pieces=5,
        ),
        text_reply(write("finish", {"message": "created both", "task_completed": "true"})),
    )
    session = tmp_path / "s.jsonl"
    result = devcli_run(
        "--endpoint", server.url, "--session-file", str(session), "create the files", cwd=git_repo
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert source.read_bytes() == INDENTED.encode()
    assert notes.read_bytes() == UNICODE.encode()
    assert (git_repo / "log.txt").read_text() == "ran\n"  # run once
    events = read_session_file(session)
    turns = [e for e in events if isinstance(e, AssistantTurn)]
    assert [len(turn.tool_calls) for turn in turns] == [1, 2, 1]
    assert turns[0].content == "I will create the module."
    observations = [e for e in events if isinstance(e, Observation)]
    assert len(observations) == 4 and not any(o.is_error for o in observations)
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.message == "created both"
    # The history sent back holds the calls as structured calls, not as text to re-read.
    last = server.chat_requests[-1].body["messages"]
    sent_back = [m for m in last if m["role"] == "assistant"]
    assert [len(m.get("tool_calls") or []) for m in sent_back] == [1, 2]
    assert not any("<tool_call>" in (m.get("content") or "") for m in sent_back)


def test_malformed_json_is_reported_and_kept_out_of_the_history(
    server: FaultServer, git_repo: Path, tmp_path: Path
) -> None:
    server.script(
        text_reply(
            hermes("execute_bash", {"command": "echo one >> log.txt"})
            + '\n<tool_call>\n{"name": "execute_bash", "arguments": {"command": "echo bad >> log',
            pieces=6,
        ),
        text_reply(llama3("execute_bash", {"command": "echo two >> log.txt"})),
        text_reply(hermes("finish", {"message": "done", "task_completed": "true"})),
    )
    session = tmp_path / "s.jsonl"
    result = devcli_run(
        "--endpoint", server.url, "--session-file", str(session), "log it", cwd=git_repo
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (git_repo / "log.txt").read_text() == "one\ntwo\n"
    events = read_session_file(session)
    broken = [c for e in events if isinstance(e, AssistantTurn) for c in e.tool_calls][1]
    assert broken.name == "execute_bash" and broken.raw_arguments is not None
    errors = [e for e in events if isinstance(e, Observation) and e.is_error]
    assert [e.tool_call_id for e in errors] == [broken.id]
    assert "not a valid JSON object" in errors[0].content
    for request in server.chat_requests[1:]:
        assert "echo bad" not in json.dumps(request.body["messages"])


@pytest.mark.parametrize(
    ("style", "text"),
    [
        (
            "hermes",
            "Let me finish.\n"
            + hermes("finish", {"message": "all done", "task_completed": "true"}),
        ),
        (
            "hermes-without-tags",
            "Let me finish.\n" + bare("finish", {"message": "all done", "task_completed": "true"}),
        ),
        (
            "llama3-python-tag",
            "Let me finish.\n<|python_tag|>"
            + llama3("finish", {"message": "all done", "task_completed": "true"}),
        ),
    ],
)
def test_the_streamed_text_stops_where_the_call_begins(
    style: str, text: str, server: FaultServer
) -> None:
    server.script(text_reply(text, pieces=11))
    harness = Harness(server)
    turn = harness.turn(tools=TOOLS)
    assert turn.content == "Let me finish."
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [
        ("finish", {"message": "all done", "task_completed": "true"})
    ]
    shown = "".join(harness.shown)
    assert "Let me finish." in shown
    if style != "hermes-without-tags":  # a bare object cannot be told from prose as it streams
        assert "<tool_call>" not in shown and "python_tag" not in shown and '"name"' not in shown
