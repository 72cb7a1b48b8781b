"""Saved sessions: listing, finding, surviving a crash, resuming."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devcli.agent.conversation import model_messages
from devcli.events import (
    AssistantTurn,
    Finished,
    Observation,
    SessionStarted,
    SessionWriter,
    UserMessage,
    read_session_file,
)
from devcli.llm.companion_files import load_mistral_tokenizer
from devcli.llm.formats.mistral_prompt import MistralCommonPrompt
from devcli.llm.formats.prompt_renderer import HistoryMessage
from devcli.session_files import (
    INTERRUPTED_RESULT,
    SessionNotFound,
    find_session,
    list_sessions,
    load_for_resume,
)
from devcli.tools.registry import ToolBox
from tests.support.cli import run_devcli as devcli
from tests.support.cli import write_turns
from tests.support.llm_files import write_v13_tekken


def bash(command: str, **extra: object) -> dict[str, object]:
    return {"tool_calls": [{"name": "execute_bash", "arguments": {"command": command, **extra}}]}


FINISH = {
    "tool_calls": [{"name": "finish", "arguments": {"message": "ok", "task_completed": "true"}}]
}


def test_list_and_find_by_prefix(tmp_path: Path) -> None:
    turns = write_turns(tmp_path / "t.jsonl", [FINISH])
    for _ in range(2):
        assert devcli("replay", str(turns), "--task", "do things", cwd=tmp_path).returncode == 0
    sessions = list_sessions(tmp_path)
    assert len(sessions) == 2
    assert all(s.task == "do things" and s.status == "finish (exit 0)" for s in sessions)
    newest = find_session(tmp_path, None)
    assert newest.id == sessions[0].id
    assert find_session(tmp_path, sessions[1].id[:6]).id == sessions[1].id
    with pytest.raises(SessionNotFound, match="no session"):
        find_session(tmp_path, "nothing-like-this")
    listing = devcli("sessions", "list", cwd=tmp_path)
    assert sessions[0].id in listing.stdout and sessions[1].id in listing.stdout
    shown = devcli("sessions", "show", sessions[0].id[:8], cwd=tmp_path)
    assert shown.returncode == 0 and "> do things" in shown.stdout


def test_unknown_session_is_a_usage_error(tmp_path: Path) -> None:
    result = devcli("run", "--resume", "abc", "go on", cwd=tmp_path)
    assert result.returncode == 2 and "no session with an id starting 'abc'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_line_cut_short_by_a_crash_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    writer = SessionWriter(path)
    writer(SessionStarted(id="x", cwd=str(tmp_path), model="m", backend="replay"))
    writer(UserMessage(content="task"))
    writer.close()
    with path.open("a") as handle:
        handle.write('{"type": "assistant", "content": "half a li')
    events = read_session_file(path)
    assert [type(e) for e in events] == [SessionStarted, UserMessage]


def _wait_for(predicate, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_resume_after_sigkill_mid_step(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    first = write_turns(
        tmp_path / "first.jsonl",
        [
            bash("echo one > one.txt"),
            bash("sleep 60 && echo never > two.txt", timeout=120),
            FINISH,
        ],
    )
    session = tmp_path / "session.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devcli",
            "replay",
            str(first),
            "--task",
            "make files",
            "--session-file",
            str(session),
            "--cwd",
            str(repo),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for(lambda: session.exists() and "sleep 60" in session.read_text())
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = read_session_file(session)
    assert not any(isinstance(e, Finished) for e in before)

    resumed = load_for_resume(session)
    assert resumed.events == before[1:]
    assert len(resumed.repairs) == 1 and resumed.repairs[0].content == INTERRUPTED_RESULT
    # The rebuilt history plus the next message is a prompt mistral-common accepts (v13).
    next_prompt = model_messages(
        "system", [*resumed.events, *resumed.repairs, UserMessage(content="go on")]
    )
    encoder = MistralCommonPrompt(load_mistral_tokenizer(write_v13_tekken(tmp_path)))
    tools = ToolBox.default(repo).schemas()
    assert encoder.encode([HistoryMessage(**m.model_dump()) for m in next_prompt], tools)

    rest = write_turns(tmp_path / "rest.jsonl", [bash("cat one.txt"), FINISH])
    result = devcli("replay", str(rest), "--resume", str(session), "--cwd", str(repo), cwd=repo)
    assert result.returncode == 0, result.stderr

    after = read_session_file(session)
    assert after[: len(before)] == before  # the history is reproduced, then continued
    added = after[len(before) :]
    assert isinstance(added[0], Observation) and added[0].content == INTERRUPTED_RESULT
    assert isinstance(added[1], UserMessage)
    assert any(isinstance(e, Observation) and e.content.startswith("one") for e in added)
    assert isinstance(after[-1], Finished) and after[-1].exit_code == 0
    # Every call in the whole history has exactly one result.
    calls = [c.id for e in after if isinstance(e, AssistantTurn) for c in e.tool_calls]
    results = [e.tool_call_id for e in after if isinstance(e, Observation)]
    assert sorted(calls) == sorted(results)


def test_continue_picks_the_latest_session(tmp_path: Path) -> None:
    turns = write_turns(tmp_path / "t.jsonl", [bash("echo a"), FINISH])
    assert devcli("replay", str(turns), "--task", "first", cwd=tmp_path).returncode == 0
    more = write_turns(tmp_path / "m.jsonl", [FINISH])
    assert (
        devcli("replay", str(more), "--continue", "--task", "again", cwd=tmp_path).returncode == 0
    )
    sessions = list_sessions(tmp_path)
    assert len(sessions) == 1
    users = [e.content for e in read_session_file(sessions[0].path) if isinstance(e, UserMessage)]
    assert users == ["first", "again"]
