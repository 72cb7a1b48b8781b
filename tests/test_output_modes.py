"""`--output text | json | jsonl` of a headless run, as a script or CI job sees them."""

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from devcli.events import Finished, event_from_json


def scripted_task(tmp_path: Path, status: str) -> Path:
    turns = [
        {
            "content": "Listing.",
            "tool_calls": [{"name": "execute_bash", "arguments": {"command": "echo listed"}}],
        },
        {
            "tool_calls": [
                {"name": "finish", "arguments": {"message": "over", "task_completed": status}}
            ]
        },
    ]
    path = tmp_path / "turns.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in turns))
    return path


def replay(tmp_path: Path, status: str, output: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "devcli",
            "replay",
            str(scripted_task(tmp_path, status)),
            "--cwd",
            str(tmp_path),
            "--output",
            output,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.mark.parametrize(("status", "code"), [("true", 0), ("false", 1)])
def test_jsonl_prints_every_event_and_ends_with_finish(
    tmp_path: Path, status: str, code: int
) -> None:
    result = replay(tmp_path, status, "jsonl")
    assert result.returncode == code, result.stderr
    events = [event_from_json(line) for line in result.stdout.splitlines()]
    assert [e.type for e in events] == [
        "session",
        "user",
        "assistant",
        "observation",
        "assistant",
        "observation",
        "finish",
    ]
    last = events[-1]
    assert isinstance(last, Finished) and last.exit_code == code
    assert last.task_completed == status


@pytest.mark.parametrize(("status", "code"), [("true", 0), ("partial", 1)])
def test_json_prints_one_summary_object(tmp_path: Path, status: str, code: int) -> None:
    result = replay(tmp_path, status, "json")
    assert result.returncode == code, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["exit_code"] == code
    assert summary["status"] == "finish"
    assert summary["task_completed"] == status
    assert summary["message"] == "over"
    assert summary["steps"] == 2
    assert {"prompt_tokens", "completion_tokens"} <= summary.keys()
    session = Path(summary["session_file"])
    assert session.is_file()
    assert json.loads(session.read_text().splitlines()[-1])["type"] == "finish"


def test_text_into_a_pipe_is_plain_lines(tmp_path: Path) -> None:
    result = replay(tmp_path, "true", "text")
    assert result.returncode == 0
    assert "→ $ echo listed" in result.stdout
    assert "\x1b[" not in result.stdout


def test_text_on_a_terminal_uses_the_rich_renderer(tmp_path: Path) -> None:
    turns = scripted_task(tmp_path, "true")
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "devcli", "replay", str(turns), "--cwd", str(tmp_path)],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"},
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the follower side closed: the process is done writing
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert process.wait(timeout=120) == 0
    raw = b"".join(chunks).decode("utf-8", errors="replace")
    assert "\x1b[" in raw  # styled for a terminal
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)
    assert "● $ echo listed" in screen
    assert "⎿ listed" in screen
    assert "✔ Done" in screen
