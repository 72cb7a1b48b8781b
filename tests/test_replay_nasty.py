"""The nastiest model output, replayed end to end: no traceback, every problem explained."""

import json
import os
from pathlib import Path

import pytest

from devcli.events import AssistantTurn, Observation, read_session_file
from devcli.json_nesting import MAX_NESTING
from tests.support.cli import run_devcli as devcli


def call(name: str, arguments: object, content: str = "x") -> dict[str, object]:
    return {"content": content, "tool_calls": [{"name": name, "arguments": arguments}]}


def nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {"leaf": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


def nasty_turns(folder: Path) -> list[dict[str, object]]:
    return [
        call("execute_bash", nested(300)),
        call("execute_bash", "[" * 20_000),
        call("execute_bash", '{"command": "echo \\ud800 > lone.txt"}', content="a \udc80 b"),
        call(
            "str_replace_editor",
            {"command": "create", "path": str(folder / "odd.txt"), "file_text": "\ud800\u2028\x00"},
            content="line\u2028separator\u2029and\x0cform feed",
        ),
        call("think", {"thought": "   "}),
        call("execute_bash", {"command": "printf '\\xff\\xfe\\n'; touch \"$(printf 'n\\xff')\""}),
        call("str_replace_editor", {"command": "view", "path": str(folder)}),
        call("execute_bash", {"command": "echo " + "y" * 200_000}),
        call("nope\ud800", {"\udfff": [[[[]]]]}),
        call("finish", {"message": "done \ud800", "task_completed": "true"}),
    ]


@pytest.fixture
def replay_file(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    path = tmp_path / "nasty.jsonl"
    lines = [json.dumps(turn) for turn in nasty_turns(work)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("output", ["text", "jsonl", "json"])
def test_nasty_turns_replay_without_a_traceback(replay_file: Path, output: str) -> None:
    work = replay_file.parent / "work"
    session = replay_file.parent / f"session-{output}.jsonl"
    result = devcli(
        "replay", str(replay_file), "--cwd", str(work), "-o", output, "--session-file", str(session)
    )
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    events = read_session_file(session)
    assert sum(isinstance(e, AssistantTurn) for e in events) == 10
    errors = [e.content for e in events if isinstance(e, Observation) and e.is_error]
    assert sum(f"deeper than {MAX_NESTING} levels" in e for e in errors) == 2
    assert any("no tool named" in e for e in errors)
    assert (work / "odd.txt").read_text(encoding="utf-8") == "\ufffd\u2028\x00"
    # The session file is UTF-8 throughout and replays in turn, U+2028 and all.
    session.read_text(encoding="utf-8")
    again = devcli("replay", str(session), "--cwd", str(work), "-o", "jsonl")
    assert "Traceback" not in again.stderr
    assert "not a recorded turn" not in again.stderr


def test_a_line_too_deep_to_read_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text('{"content": "ok"}\n' + '{"content": ' + "[" * 100_000 + "\n")
    result = devcli("replay", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert "deep.jsonl:2" in result.stderr and "nested deeper" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_resumed_session_file_that_is_not_one_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"type": "session", "id": "x"}\n{"type": "user", "content": 3}\n')
    turns = tmp_path / "t.jsonl"
    turns.write_text(json.dumps(call("finish", {"message": "m", "task_completed": "true"})) + "\n")
    result = devcli("replay", str(turns), "--resume", str(bad), cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2 and "broken.jsonl" in result.stderr


def test_replay_from_a_folder_holding_an_undecodable_name(tmp_path: Path) -> None:
    os.mkdir(os.fsencode(tmp_path) + b"/dir\xff")
    turns = tmp_path / "t.jsonl"
    turns.write_text(
        json.dumps(call("str_replace_editor", {"command": "view", "path": str(tmp_path)}))
        + "\n"
        + json.dumps(call("finish", {"message": "m", "task_completed": "true"}))
        + "\n"
    )
    result = devcli("replay", str(turns), "-o", "jsonl", cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "dir\ufffd" in result.stdout.encode().decode("utf-8")
