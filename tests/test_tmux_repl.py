"""The real `devcli` REPL in a real terminal (tmux), used as a person would use it.

The model's side is a replay of recorded turns; everything else is real: the terminal, the
prompt, the approvals, bash, the editor, Ctrl-C and the session file.
"""

import json
import re
import sys
import time
from pathlib import Path

import pytest

from devcli.events import Finished, Observation, read_session_file
from tests.support.tmux import TMUX, WAIT_LIMIT_S, Pane

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")

SLEEP_SECONDS = "97.3"  # an unusual duration, so the test can find its own sleep process


def prompt_ready(steps: int) -> str:
    """The prompt's status bar: shown only while the prompt reads keys (the terminal is raw)."""
    return f"{steps} steps · approval ask"


def sleep_is_running() -> bool:
    wanted = f"sleep\x00{SLEEP_SECONDS}\x00".encode()
    for process in Path("/proc").iterdir():
        try:
            if (process / "cmdline").read_bytes() == wanted:
                return True
        except OSError:
            continue
    return False


def recorded_turns(repo: Path) -> list[dict[str, object]]:
    source = str(repo / "calc.py")
    return [
        {
            "content": "Let me read **calc.py** first.",
            "tool_calls": [{"name": "execute_bash", "arguments": {"command": "cat calc.py"}}],
        },
        {
            "content": "",
            "tool_calls": [
                {
                    "name": "str_replace_editor",
                    "arguments": {
                        "command": "str_replace",
                        "path": source,
                        "old_str": "return a - b",
                        "new_str": "return a + b",
                    },
                }
            ],
        },
        {"content": "Fixed: `add` now adds its arguments."},
        {
            "content": "",
            "tool_calls": [
                {"name": "execute_bash", "arguments": {"command": f"sleep {SLEEP_SECONDS}"}}
            ],
        },
    ]


def test_a_person_fixes_a_bug_interrupts_a_command_and_leaves(
    pane: Pane, git_repo: Path, tmp_path: Path
) -> None:
    (git_repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    turns = tmp_path / "turns.jsonl"
    turns.write_text("".join(json.dumps(t) + "\n" for t in recorded_turns(git_repo)))
    session_file = tmp_path / "session.jsonl"
    command = (
        f"cd {git_repo} && {sys.executable} -m devcli --replay {turns} "
        f'--session-file {session_file}; echo "[devcli exited with $?]"; sleep 600'
    )
    pane.start(command)
    pane.wait_for(prompt_ready(0))

    pane.type("fix the add function")
    pane.press("Enter")
    screen = pane.wait_for("Allow this command?")
    assert "Let me read calc.py first." in screen  # markdown, rendered
    assert "● $ cat calc.py" in screen

    pane.type("y")
    screen = pane.wait_for("Allow this edit?")
    assert "⎿ def add(a, b):" in screen  # the folded result of cat
    assert re.search(r"-\s+return a - b\n\s+\+\s+return a \+ b", screen)  # the diff

    pane.type("y")
    screen = pane.wait_for("Fixed: add now adds its arguments.")
    assert (git_repo / "calc.py").read_text().endswith("return a + b\n")
    pane.wait_for(prompt_ready(3))

    pane.type("now wait for something slow")
    pane.press("Enter")
    pane.wait_for(f"● $ sleep {SLEEP_SECONDS}")
    pane.wait_for("Allow this command?", after=screen.rindex("Fixed"))
    pane.type("y")
    pane.wait_for(lambda s: bool(re.search(r"Running \d+\.\ds", s)))
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not sleep_is_running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sleep_is_running()
    pane.press("C-c")
    pane.wait_for("Interrupted.")
    deadline = time.monotonic() + WAIT_LIMIT_S
    while sleep_is_running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not sleep_is_running()  # Ctrl-C reached the command, not only devcli

    pane.wait_for(prompt_ready(4))
    before_status = len(pane.screen())
    pane.type("/status")
    pane.press("Enter")
    screen = pane.wait_for("session file", after=before_status - 200)
    assert str(session_file) in screen.replace("\n", "")
    assert "replay:turns.jsonl (replay backend)" in screen

    pane.wait_for(prompt_ready(4), after=screen.rindex("session file"))
    pane.type("/exit")
    pane.press("Enter")
    screen = pane.wait_for("[devcli exited with 0]")
    assert "Session saved to" in screen

    events = read_session_file(session_file)
    assert [e.type for e in events][:2] == ["session", "user"]
    finished = [e for e in events if isinstance(e, Finished)]
    assert [f.reason for f in finished] == ["interrupted"]
    interrupted = [e for e in events if isinstance(e, Observation)][-1]
    assert "Interrupted by the user" in interrupted.content


def test_ctrl_d_leaves_at_once(pane: Pane, git_repo: Path, tmp_path: Path) -> None:
    turns = tmp_path / "turns.jsonl"
    turns.write_text(json.dumps({"content": "hello"}) + "\n")
    pane.start(
        f"cd {git_repo} && {sys.executable} -m devcli --replay {turns}; "
        'echo "[devcli exited with $?]"; sleep 600'
    )
    pane.wait_for(prompt_ready(0))
    pane.press("C-d")
    pane.wait_for("[devcli exited with 0]")


def test_ctrl_c_stops_a_real_model_mid_answer(pane: Pane, git_repo: Path) -> None:
    """The tiny local model streams an answer; Ctrl-C stops it and the session carries on."""
    pytest.importorskip("llama_cpp")
    from tests.support.llama_server import smollm2_gguf

    model = smollm2_gguf()
    pane.start(
        f"cd {git_repo} && {sys.executable} -m devcli --model {model} --ctx-size 2048 "
        '--temperature 0.7 --seed 1; echo "[devcli exited with $?]"; sleep 600'
    )
    pane.wait_for(prompt_ready(0))
    pane.type("Write a very long story about a cat, at least two thousand words.")
    pane.press("Enter")
    pane.wait_for(lambda s: bool(re.search(r"Writing \d+\.\ds", s)))  # words are streaming
    pane.press("C-c")
    screen = pane.wait_for("Interrupted.")
    assert "Traceback" not in screen
    answered = screen[screen.index("two thousand words.") : screen.index("Interrupted.")]
    assert answered.strip(" .\n")  # the words streamed so far stay on screen
    # An interrupted answer is not a finished turn: the count of steps stays at 0.
    pane.wait_for(prompt_ready(0), after=screen.index("Interrupted."))
    pane.type("/exit")
    pane.press("Enter")
    screen = pane.wait_for("[devcli exited with 0]")
    assert "Traceback" not in screen


def test_the_person_picks_a_model_when_the_server_offers_several(
    pane: Pane, tmp_path: Path
) -> None:
    from tests.support.fault_server import running_fault_server

    with running_fault_server() as server:
        server.models = ["small-7b", "devstral-small-2507"]
        pane.start(f"{sys.executable} -m devcli --endpoint {server.url} --cwd {tmp_path}; sleep 30")
        pane.wait_for("Choose 1-2:")
        screen = pane.screen()
        assert "1. small-7b" in screen and "2. devstral-small-2507" in screen
        pane.type("2")
        pane.press("Enter")
        pane.wait_for("devstral-small-2507 (remote)")
        pane.wait_for(prompt_ready(0))  # keys pressed before the prompt reads them are lost
        pane.press("C-d")
        pane.wait_for("Session saved to")
