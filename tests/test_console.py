"""The rich renderer, fed by the real loop running real tools on replayed turns."""

import io
import re
import time
from pathlib import Path

import pytest
from rich.console import Console

from devcli.agent.assembly import build_toolbox
from devcli.agent.loop import Agent, Mode
from devcli.config import Settings
from devcli.events import AssistantTurn, Finished, Observation, SessionStarted, Usage
from devcli.llm.formats.call_text import make_tool_call
from devcli.llm.replay import ReplayBackend
from devcli.ui.console import ConsoleRenderer, make_console, split_bash_note
from devcli.ui.edit_preview import edit_diff

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=100, force_terminal=False, no_color=True), buffer


def play(renderer: ConsoleRenderer, workspace: Path, turns: list[AssistantTurn]) -> Agent:
    toolbox = build_toolbox(Settings(), workspace)
    agent = Agent(
        backend=ReplayBackend(turns),
        toolbox=toolbox,
        system_prompt="test",
        sinks=[renderer],
        mode=Mode.HEADLESS,
        on_text=renderer.on_text,
    )
    try:
        agent.run("do it")
    finally:
        toolbox.close()
        renderer.stop()
    return agent


def call(name: str, **arguments: object) -> AssistantTurn:
    return AssistantTurn(tool_calls=(make_tool_call(name, dict(arguments)),))


def finish(status: str = "true", message: str = "All **done**.") -> AssistantTurn:
    return call("finish", message=message, task_completed=status)


def test_calls_are_one_line_each_with_folded_results(tmp_path: Path) -> None:
    console, buffer = plain_console()
    renderer = ConsoleRenderer(console, tmp_path, model="replay")
    turns = [
        AssistantTurn(
            content="Counting to **twenty**.",
            tool_calls=(make_tool_call("execute_bash", {"command": "seq 1 20"}),),
        ),
        call("execute_bash", command="exit 3"),
        finish(),
    ]
    play(renderer, tmp_path, turns)
    out = buffer.getvalue()
    assert "Counting to twenty." in out  # markdown rendered, not raw asterisks
    assert "● $ seq 1 20" in out
    assert "  ⎿ 1\n    2\n" in out
    assert "    … 14 more lines" in out
    assert "exit code 3" in out
    assert "[The command finished" not in out  # the note for the model is not shown
    assert "✔ Done" in out and "All done." in out
    assert "replay · context n/a · 3 steps" in out


def test_edits_show_a_unified_diff_before_they_run(tmp_path: Path) -> None:
    source = tmp_path / "calc.py"
    source.write_text("def add(a, b):\n    return a - b\n")
    console, buffer = plain_console()
    renderer = ConsoleRenderer(console, tmp_path)
    edit = call(
        "str_replace_editor",
        command="str_replace",
        path=str(source),
        old_str="return a - b",
        new_str="return a + b",
    )
    play(renderer, tmp_path, [edit, finish()])
    out = buffer.getvalue()
    assert "● edit calc.py" in out
    assert "--- a/calc.py" in out and "+++ b/calc.py" in out
    assert "    -    return a - b\n    +    return a + b" in out
    assert "⎿ Edited" in out and "Lines 1-2 now read" not in out  # folded behind the diff
    assert source.read_text().endswith("return a + b\n")


def test_failed_edits_show_the_editor_error_instead_of_a_diff(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("same\nsame\n")
    console, buffer = plain_console()
    renderer = ConsoleRenderer(console, tmp_path)
    edit = call(
        "str_replace_editor",
        command="str_replace",
        path=str(source),
        old_str="same",
        new_str="other",
    )
    play(renderer, tmp_path, [edit, finish("false", "gave up")])
    out = buffer.getvalue()
    assert "@@" not in out
    assert "occurs 2 times" in out
    assert "✘ Not done" in out


def test_diff_colours_on_a_terminal_and_none_with_no_color(tmp_path: Path) -> None:
    new_file = tmp_path / "new.txt"
    turns = [call("str_replace_editor", command="create", path=str(new_file), file_text="hi\n")]
    coloured = io.StringIO()
    console = Console(file=coloured, width=100, force_terminal=True, color_system="standard")
    play(ConsoleRenderer(console, tmp_path), tmp_path, [*turns, finish()])
    added_line = next(line for line in coloured.getvalue().splitlines() if "+hi" in line)
    assert "\x1b[32m" in added_line  # green

    new_file.unlink()
    plain = io.StringIO()
    console = Console(file=plain, width=100, force_terminal=True, no_color=True)
    play(ConsoleRenderer(console, tmp_path), tmp_path, [*turns, finish()])
    assert "+hi" in plain.getvalue()
    # Bold and dim may stay; colours (foreground 30-39, 90-97) must not.
    assert not re.search(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|9[0-7])(?:;[0-9;]*)?m", plain.getvalue())


def test_no_color_variable_turns_colour_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert make_console(file=io.StringIO()).no_color
    monkeypatch.delenv("NO_COLOR")
    assert not make_console(file=io.StringIO()).no_color
    assert make_console(no_color=True, file=io.StringIO()).no_color


def test_streamed_text_shows_under_the_spinner_then_prints_once(tmp_path: Path) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, force_terminal=True, color_system=None)
    renderer = ConsoleRenderer(console, tmp_path)
    renderer(SessionStarted(id="s", cwd=str(tmp_path), model="m", backend="local"))
    renderer.on_text("Streaming a **partial** ans")
    deadline = time.monotonic() + 30  # bounds the wait; not a speed check
    while "partial" not in ANSI.sub("", buffer.getvalue()) and time.monotonic() < deadline:
        time.sleep(0.05)
    live_part = ANSI.sub("", buffer.getvalue())
    assert "Streaming a partial ans" in live_part
    assert re.search(r"Writing \d+\.\ds", live_part)  # the spinner's elapsed time
    renderer(AssistantTurn(content="Streaming a **partial** answer.", usage=Usage()))
    renderer.stop()
    final = ANSI.sub("", buffer.getvalue()[len(buffer.getvalue()) - 200 :])
    assert "Streaming a partial answer." in final


def test_tokens_per_second_for_local_models(tmp_path: Path) -> None:
    console, _ = plain_console()
    renderer = ConsoleRenderer(
        console, tmp_path, model="m", backend_kind="local", context_window=1000
    )
    renderer(SessionStarted(id="s", cwd=str(tmp_path), model="m", backend="local"))
    renderer.on_text("x")
    time.sleep(0.01)
    renderer(AssistantTurn(content="x", usage=Usage(prompt_tokens=200, completion_tokens=50)))
    assert renderer.tokens_per_second is not None and renderer.tokens_per_second > 0
    status = renderer.status_text()
    assert "context 250/1k (25%)" in status and "tok/s" in status
    remote = ConsoleRenderer(console, tmp_path, backend_kind="remote")
    remote.on_text("x")
    remote(AssistantTurn(content="x", usage=Usage(prompt_tokens=1, completion_tokens=5)))
    assert remote.tokens_per_second is None and "tok/s" not in remote.status_text()


def test_interrupted_and_stopped_runs_say_so(tmp_path: Path) -> None:
    console, buffer = plain_console()
    renderer = ConsoleRenderer(console, tmp_path)
    renderer(
        Finished(
            message="Interrupted by the user.",
            task_completed="false",
            exit_code=130,
            reason="interrupted",
        )
    )
    renderer(
        Finished(
            message="Stopped after 5 steps.",
            task_completed="false",
            exit_code=3,
            reason="step_limit",
        )
    )
    out = buffer.getvalue()
    assert "Interrupted." in out
    assert "Stopped (step_limit): Stopped after 5 steps." in out


def test_bash_note_is_split_from_the_output() -> None:
    body, code = split_bash_note(
        "ok\n[The command finished with exit code 2. Working directory: /tmp/x]"
    )
    assert (body, code) == ("ok", 2)
    assert split_bash_note("no note here") == ("no note here", None)


def test_edit_preview_matches_what_the_editor_writes(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("a\nb\nc\n")
    diff = edit_diff(
        {"command": "insert", "path": str(target), "insert_line": 1, "new_str": "inserted"}, "f.txt"
    )
    assert diff is not None and "+inserted" in diff and "@@ -1,3 +1,4 @@" in diff
    assert edit_diff({"command": "view", "path": str(target)}, "f.txt") is None
    missing = {"command": "str_replace", "path": str(target), "old_str": "zzz", "new_str": "y"}
    assert edit_diff(missing, "f.txt") is None


def test_results_pair_with_their_calls_when_a_turn_makes_several(tmp_path: Path) -> None:
    console, buffer = plain_console()
    renderer = ConsoleRenderer(console, tmp_path)
    both = AssistantTurn(
        tool_calls=(
            make_tool_call("execute_bash", {"command": "echo first-out"}),
            make_tool_call("execute_bash", {"command": "echo second-out"}),
        )
    )
    agent = play(renderer, tmp_path, [both, finish()])
    assert len([e for e in agent.events if isinstance(e, Observation)]) == 3
    out = buffer.getvalue()
    assert out.index("● $ echo first-out") < out.index("⎿ first-out")
    assert out.index("⎿ first-out") < out.index("● $ echo second-out")
    assert out.index("● $ echo second-out") < out.index("⎿ second-out")


def test_an_interrupted_answer_stays_on_screen(tmp_path: Path) -> None:
    console, buffer = plain_console()
    renderer = ConsoleRenderer(console, tmp_path)
    renderer.on_text("The first half of an ans")
    renderer(
        Finished(
            message="Interrupted by the user.",
            task_completed="false",
            exit_code=130,
            reason="interrupted",
        )
    )
    out = buffer.getvalue()
    assert out.index("The first half of an ans") < out.index("Interrupted.")
