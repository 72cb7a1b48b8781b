"""`devcli run --endpoint …` as a user runs it, against a loopback server that fails on purpose:
each run ends in success after retrying or in exit code 4, and the session file stays whole."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devcli.events import (
    AssistantTurn,
    ErrorEvent,
    Finished,
    Observation,
    SessionStarted,
    UserMessage,
    read_session_file,
)
from tests.support.fault_server import (
    FaultServer,
    Status,
    Stream,
    call_reply,
    finish_call_reply,
    running_fault_server,
    text_reply,
)

_REMOTE_VARIABLES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "MISTRAL_API_KEY")


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running_fault_server() as running:
        yield running


def devcli_run(*args: str, cwd: Path, tries: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in _REMOTE_VARIABLES}
    env.update(NO_COLOR="1", HOME=str(cwd.parent))
    if tries is not None:
        env["DEVCLI_TRIES"] = str(tries)
    return subprocess.run(
        [sys.executable, "-m", "devcli", "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def _kinds(path: Path) -> list[str]:
    return [event.type for event in read_session_file(path)]


def test_nothing_listening_exits_4_with_one_line(git_repo: Path, tmp_path: Path) -> None:
    session = tmp_path / "session.jsonl"
    result = devcli_run(
        "--endpoint", "http://127.0.0.1:1/v1", "--session-file", str(session), "x", cwd=git_repo
    )
    assert result.returncode == 4
    assert "Traceback" not in result.stdout + result.stderr
    explanation = [line for line in result.stdout.splitlines() if line.lower().startswith("error:")]
    assert len(explanation) == 1
    assert "Cannot reach http://127.0.0.1:1/v1" in explanation[0]
    events = read_session_file(session)
    assert isinstance(events[-1], Finished) and events[-1].exit_code == 4
    assert events[-1].reason == "backend_error"


def test_a_server_error_then_success(server: FaultServer, git_repo: Path, tmp_path: Path) -> None:
    server.script(Status(500), finish_call_reply("all good", "true"))
    session = tmp_path / "s.jsonl"
    result = devcli_run(
        "--endpoint", server.url, "--session-file", str(session), "do it", cwd=git_repo
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _kinds(session) == ["session", "user", "assistant", "observation", "finish"]
    assert len(server.chat_requests) == 2
    header = read_session_file(session)[0]
    assert isinstance(header, SessionStarted)
    assert (header.backend, header.model) == ("remote", "fault-model")


def test_rate_limit_with_retry_after(server: FaultServer, git_repo: Path, tmp_path: Path) -> None:
    server.script(Status(429, headers={"Retry-After": "1"}), finish_call_reply())
    session = tmp_path / "s.jsonl"
    result = devcli_run(
        "--endpoint", server.url, "--session-file", str(session), "go", cwd=git_repo
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(server.chat_requests) == 2
    assert _kinds(session).count("assistant") == 1


def test_a_reset_mid_stream_records_each_turn_once(
    server: FaultServer, git_repo: Path, tmp_path: Path
) -> None:
    think = call_reply([("c1", "think", json.dumps({"thought": "plan the work"}))], piece=2)
    broken = call_reply([("c0", "think", json.dumps({"thought": "never seen"}))], piece=2)
    broken.reset_after = 6
    server.script(broken, think, finish_call_reply("finished", "true"))
    session = tmp_path / "s.jsonl"
    result = devcli_run(
        "--endpoint", server.url, "--session-file", str(session), "go", cwd=git_repo
    )
    assert result.returncode == 0, result.stdout + result.stderr
    events = read_session_file(session)
    turns = [e for e in events if isinstance(e, AssistantTurn)]
    assert [c.arguments for t in turns for c in t.tool_calls] == [
        {"thought": "plan the work"},
        {"message": "finished", "task_completed": "true"},
    ]
    observations = [e for e in events if isinstance(e, Observation)]
    assert [o.tool_call_id for o in observations] == [t.tool_calls[0].id for t in turns]
    assert "never seen" not in session.read_text()


def test_malformed_sse_then_a_call_written_as_text(
    server: FaultServer, git_repo: Path, tmp_path: Path
) -> None:
    text = 'Done.[TOOL_CALLS]finish[ARGS]{"message": "parsed from text", "task_completed": "true"}'
    server.script(Stream(["data: {oops"]), text_reply(text, pieces=5))
    session = tmp_path / "s.jsonl"
    result = devcli_run(
        "--endpoint", server.url, "--session-file", str(session), "go", cwd=git_repo
    )
    assert result.returncode == 0, result.stdout + result.stderr
    finished = read_session_file(session)[-1]
    assert isinstance(finished, Finished) and finished.message == "parsed from text"


def test_persistent_failure_exits_4_and_keeps_completed_steps(
    server: FaultServer, git_repo: Path, tmp_path: Path
) -> None:
    server.script(call_reply([("c1", "think", json.dumps({"thought": "first step"}))]))
    server.fallback = Status(503, {"error": {"message": "overloaded"}})
    session = tmp_path / "s.jsonl"
    result = devcli_run(
        "--endpoint", server.url, "--session-file", str(session), "go", cwd=git_repo, tries=2
    )
    assert result.returncode == 4
    assert "Traceback" not in result.stdout + result.stderr
    events = read_session_file(session)  # every line still parses
    assert [e.type for e in events] == [
        "session", "user", "assistant", "observation", "error", "finish",
    ]  # fmt: skip
    error = events[4]
    assert isinstance(error, ErrorEvent)
    assert "503" in error.message and "overloaded" in error.message and "2 tries" in error.message
    assert len(server.chat_requests) == 1 + 2


def test_usage_per_turn_and_in_total(server: FaultServer, git_repo: Path) -> None:
    server.script(
        call_reply([("c1", "think", json.dumps({"thought": "hm"}))]),
        finish_call_reply(),
    )
    result = devcli_run("--endpoint", server.url, "-o", "json", "go", cwd=git_repo)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["prompt_tokens"], summary["completion_tokens"]) == (40, 18)
    assert summary["steps"] == 2


def test_an_image_goes_with_the_task(server: FaultServer, git_repo: Path, tmp_path: Path) -> None:
    image = tmp_path / "screen.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    server.script(finish_call_reply())
    result = devcli_run(
        "--endpoint", server.url, "--image", str(image), "what is shown?", cwd=git_repo
    )
    assert result.returncode == 0, result.stdout + result.stderr
    first_user = next(m for m in server.chat_requests[0].body["messages"] if m["role"] == "user")
    kinds = [part["type"] for part in first_user["content"]]
    assert kinds == ["text", "image_url"]


def test_a_missing_image_is_a_usage_error(server: FaultServer, git_repo: Path) -> None:
    result = devcli_run(
        "--endpoint", server.url, "--image", str(git_repo / "nope.png"), "x", cwd=git_repo
    )
    assert result.returncode == 2
    assert "nope.png" in result.stderr and "Traceback" not in result.stderr
    assert server.chat_requests == []


def test_several_models_and_none_named_is_a_usage_error(
    server: FaultServer, git_repo: Path
) -> None:
    server.models = ["one-model", "two-model"]
    result = devcli_run("--endpoint", server.url, "x", cwd=git_repo)
    assert result.returncode == 2
    assert "one-model, two-model" in result.stderr
    assert server.chat_requests == []


def test_the_user_message_is_recorded_before_any_request(
    server: FaultServer, git_repo: Path, tmp_path: Path
) -> None:
    server.fallback = Status(401, {"error": {"message": "bad key"}})
    session = tmp_path / "s.jsonl"
    result = devcli_run(
        "--endpoint", server.url, "--model", "m", "--session-file", str(session), "task text",
        cwd=git_repo,
    )  # fmt: skip
    assert result.returncode == 4
    events = read_session_file(session)
    assert isinstance(events[1], UserMessage) and events[1].content == "task text"
    assert isinstance(events[-1], Finished) and "API key" in events[-1].message
    assert len(server.chat_requests) == 1
