"""`devcli replay` and `devcli run` as a user runs them: a subprocess, real files."""

import json
import os
from pathlib import Path

from devcli.events import Finished, SessionStarted, read_session_file
from tests.support.cli import run_devcli as devcli
from tests.support.cli import write_turns


def test_replay_of_plain_turns_runs_calls_and_exits_with_finish_code(tmp_path: Path) -> None:
    turns = write_turns(
        tmp_path / "turns.jsonl",
        [
            {
                "content": "Creating.",
                "tool_calls": [
                    {
                        "name": "str_replace_editor",
                        "arguments": {
                            "command": "create",
                            "path": str(tmp_path / "hello.py"),
                            "file_text": "print('hello')\n",
                        },
                    }
                ],
            },
            {
                "tool_calls": [
                    {"name": "execute_bash", "arguments": {"command": "python3 hello.py"}}
                ]
            },
            {
                "tool_calls": [
                    {
                        "name": "finish",
                        "arguments": {"message": "made it", "task_completed": "partial"},
                    }
                ]
            },
        ],
    )
    session = tmp_path / "session.jsonl"
    result = devcli("replay", str(turns), "--session-file", str(session), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert (tmp_path / "hello.py").exists()
    assert "hello" in result.stdout and "made it" in result.stdout
    events = read_session_file(session)
    assert isinstance(events[0], SessionStarted) and events[0].backend == "replay"
    assert isinstance(events[-1], Finished) and events[-1].task_completed == "partial"


def test_replay_of_a_session_file_reproduces_it(tmp_path: Path) -> None:
    turns = write_turns(
        tmp_path / "turns.jsonl",
        [
            {"tool_calls": [{"name": "execute_bash", "arguments": {"command": "echo 42 > n.txt"}}]},
            {
                "tool_calls": [
                    {"name": "finish", "arguments": {"message": "ok", "task_completed": "true"}}
                ]
            },
        ],
    )
    first = tmp_path / "first.jsonl"
    assert devcli("replay", str(turns), "--session-file", str(first), cwd=tmp_path).returncode == 0
    (tmp_path / "n.txt").unlink()
    second = tmp_path / "second.jsonl"
    result = devcli("replay", str(first), "--session-file", str(second), cwd=tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "n.txt").read_text() == "42\n"
    strip = lambda events: [e for e in events if not isinstance(e, SessionStarted)]  # noqa: E731
    assert strip(read_session_file(first)) == strip(read_session_file(second))


def test_jsonl_output_is_one_event_per_line_ending_with_finish(tmp_path: Path) -> None:
    turns = write_turns(
        tmp_path / "t.jsonl",
        [
            {"tool_calls": [{"name": "think", "arguments": {"thought": "plan"}}]},
            {
                "tool_calls": [
                    {"name": "finish", "arguments": {"message": "ok", "task_completed": "true"}}
                ]
            },
        ],
    )
    result = devcli("replay", str(turns), "--output", "jsonl", cwd=tmp_path)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["type"] == "session" and lines[-1]["type"] == "finish"
    assert lines[-1]["exit_code"] == result.returncode == 0


def test_json_output_is_one_summary(tmp_path: Path) -> None:
    turns = write_turns(
        tmp_path / "t.jsonl",
        [
            {"tool_calls": [{"name": "execute_bash", "arguments": {"command": "true"}}]},
        ],
    )
    result = devcli("replay", str(turns), "--output", "json", cwd=tmp_path)
    summary = json.loads(result.stdout)
    assert result.returncode == summary["exit_code"] == 4
    assert summary["steps"] == 1 and Path(summary["session_file"]).exists()


def test_step_limit_exit_code(tmp_path: Path) -> None:
    turns = write_turns(
        tmp_path / "t.jsonl",
        [
            {"tool_calls": [{"name": "execute_bash", "arguments": {"command": f"echo {i}"}}]}
            for i in range(5)
        ],
    )
    assert devcli("replay", str(turns), "--max-steps", "2", cwd=tmp_path).returncode == 3


def test_bad_replay_file_is_a_clear_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"content": "ok"}\nnot json at all\n')
    result = devcli("replay", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.jsonl:2" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_output_format_is_a_usage_error(tmp_path: Path) -> None:
    turns = write_turns(tmp_path / "t.jsonl", [{"content": "x"}])
    result = devcli("replay", str(turns), "--output", "yaml", cwd=tmp_path)
    assert result.returncode == 2 and "--output" in result.stderr


def test_sessions_are_saved_under_the_data_dir_by_default(tmp_path: Path) -> None:
    turns = write_turns(
        tmp_path / "t.jsonl",
        [
            {
                "tool_calls": [
                    {"name": "finish", "arguments": {"message": "ok", "task_completed": "true"}}
                ]
            },
        ],
    )
    assert devcli("replay", str(turns), cwd=tmp_path).returncode == 0
    saved = list(Path(os.environ["DEVCLI_DATA_DIR"]).glob("sessions/*/*.jsonl"))
    assert len(saved) == 1
    assert isinstance(read_session_file(saved[0])[-1], Finished)


def test_run_with_empty_task_is_a_usage_error(tmp_path: Path) -> None:
    result = devcli("run", "   ", cwd=tmp_path)
    assert result.returncode == 2 and "empty" in result.stderr
