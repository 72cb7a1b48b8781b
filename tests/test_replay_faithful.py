"""`devcli replay` plays every recorded turn to the loop and says when it could not."""

import json
from pathlib import Path

from devcli.agent.budget import PromptMeter
from devcli.agent.condenser import Condenser
from devcli.agent.loop import Agent
from devcli.events import (
    AssistantTurn,
    Condensation,
    ErrorEvent,
    Finished,
    Observation,
    SessionStarted,
    SessionWriter,
    read_session_file,
)
from devcli.llm.replay import ReplayBackend, load_turns
from devcli.tools.registry import ToolBox
from tests.support.cli import run_devcli as devcli
from tests.support.cli import write_turns

SMALL_WINDOW = {"DEVCLI_CTX_SIZE": "3000"}


def bash(command: str) -> dict[str, object]:
    return {"tool_calls": [{"name": "execute_bash", "arguments": {"command": command}}]}


def finish(completed: str = "true") -> dict[str, object]:
    arguments = {"message": "done", "task_completed": completed}
    return {"tool_calls": [{"name": "finish", "arguments": arguments}]}


def long_session(count: int) -> list[dict[str, object]]:
    return [bash(f"seq {i} {i + 40}") for i in range(count)] + [finish()]


def test_a_long_plain_replay_runs_every_turn_past_the_window(tmp_path: Path) -> None:
    turns = write_turns(tmp_path / "turns.jsonl", long_session(40))
    session = tmp_path / "session.jsonl"
    result = devcli(
        "replay", str(turns), "--session-file", str(session), cwd=tmp_path, env=SMALL_WINDOW
    )
    assert result.returncode == 0, result.stderr
    events = read_session_file(session)
    # No model reads a replay: nothing is condensed, and no turn is spent on a summary.
    assert not any(isinstance(e, Condensation) for e in events)
    assert sum(isinstance(e, AssistantTurn) for e in events) == 41
    outputs = [e.content for e in events if isinstance(e, Observation)]
    assert all("cut from the middle" not in output for output in outputs)
    assert isinstance(events[-1], Finished) and events[-1].reason == "finish"


def record_with_condensations(tmp_path: Path, count: int) -> Path:
    """A session file recorded with a model that condensed (summaries from its own turns)."""
    summaries = [{"content": f"SUMMARY {i}: counted so far."} for i in range(count)]
    turns = long_session(count)
    recorded = tmp_path / "recorded.jsonl"
    write_turns(tmp_path / "turns.jsonl", turns)
    backend = ReplayBackend(load_turns(tmp_path / "turns.jsonl"))
    summariser = ReplayBackend(load_turns(write_turns(tmp_path / "s.jsonl", summaries)))
    writer = SessionWriter(recorded)
    writer(SessionStarted(id="abc123", cwd=str(tmp_path), model="m", backend="replay"))
    agent = Agent(
        backend,
        ToolBox.default(tmp_path),
        "You are a test agent.",
        sinks=[writer],
        condenser=Condenser(summariser, PromptMeter(backend), 3000),
        max_steps=200,
    )
    agent.toolbox.compact_descriptions = True
    assert agent.run("Count.").reason == "finish"
    agent.toolbox.close()
    writer.close()
    return recorded


def test_a_session_file_replays_its_condensations_where_they_were(tmp_path: Path) -> None:
    first = record_with_condensations(tmp_path, 40)
    assert any(isinstance(e, Condensation) for e in read_session_file(first))
    second = tmp_path / "second.jsonl"
    # A larger window would never condense on its own: only the recorded ones happen.
    result = devcli("replay", str(first), "--session-file", str(second), cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    def shape(path: Path) -> list[str]:
        return [
            f"condensation:{e.first_kept}:{e.summary[:40]}"
            if isinstance(e, Condensation)
            else e.type
            for e in read_session_file(path)[1:]
        ]

    assert shape(first) == shape(second)


def test_turns_left_after_finish_fail_the_replay(tmp_path: Path) -> None:
    turns = write_turns(tmp_path / "t.jsonl", [bash("true"), finish(), bash("echo never")])
    session = tmp_path / "s.jsonl"
    result = devcli("replay", str(turns), "--session-file", str(session), cwd=tmp_path)
    assert result.returncode == 4
    assert "ended after 2 of its 3 recorded turns" in result.stderr
    assert "Traceback" not in result.stderr
    errors = [e.message for e in read_session_file(session) if isinstance(e, ErrorEvent)]
    assert any("not a faithful replay" in message.lower() for message in errors)


def test_a_replay_stopped_by_the_step_limit_keeps_its_code_and_says_why(tmp_path: Path) -> None:
    turns = write_turns(tmp_path / "t.jsonl", [bash(f"echo {i}") for i in range(5)])
    result = devcli("replay", str(turns), "--max-steps", "2", cwd=tmp_path)
    assert result.returncode == 3
    assert "ended after 2 of its 5 recorded turns" in result.stderr


def test_json_summary_carries_the_failing_exit_code(tmp_path: Path) -> None:
    turns = write_turns(tmp_path / "t.jsonl", [finish(), bash("true")])
    result = devcli("replay", str(turns), "--output", "json", cwd=tmp_path)
    assert result.returncode == json.loads(result.stdout)["exit_code"] == 4


def test_a_call_whose_result_changed_fails_the_replay(tmp_path: Path) -> None:
    (tmp_path / "marker").write_text("here\n")
    turns = write_turns(tmp_path / "t.jsonl", [bash("test -f marker"), finish()])
    recorded = tmp_path / "recorded.jsonl"
    assert (
        devcli("replay", str(turns), "--session-file", str(recorded), cwd=tmp_path).returncode == 0
    )
    observed = [e for e in read_session_file(recorded) if isinstance(e, Observation)]
    assert observed[0].exit_code == 0
    (tmp_path / "marker").unlink()
    result = devcli("replay", str(recorded), cwd=tmp_path)
    assert result.returncode == 4
    assert "1 of the replayed calls gave a different result" in result.stderr
    assert "recorded exit code 0, replayed exit code 1" in result.stderr


def test_a_faithful_replay_of_a_session_file_passes(tmp_path: Path) -> None:
    turns = write_turns(tmp_path / "t.jsonl", [bash("echo same"), finish("false")])
    recorded = tmp_path / "recorded.jsonl"
    assert (
        devcli("replay", str(turns), "--session-file", str(recorded), cwd=tmp_path).returncode == 1
    )
    result = devcli("replay", str(recorded), cwd=tmp_path)
    assert result.returncode == 1  # the recorded outcome, task not completed
    assert "faithful" not in result.stderr
