"""Per-step cost over a long replayed session: the first steps beside the last ones.

The session alternates `execute_bash` (`echo`) with the editor (`view`, `str_replace`) in a
git repository, through the same loop, hooks (gates, checkpoints) and session writer as
`devcli replay`. A flat cost shows as a last/first ratio near 1.

python benchmarks/step_cost.py [--steps 1000]

A replay of plain turns never condenses (no model reads it), so the history grows to the end.
"""

import argparse
import contextlib
import itertools
import os
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from devcli.config import Settings
from devcli.events import AssistantTurn
from devcli.headless import OutputFormat, RunRequest, run_headless
from devcli.llm.backend import ChatMessage, TextSink
from devcli.llm.formats.call_text import make_tool_call
from devcli.llm.replay import ReplayBackend
from devcli.tool_schema import ToolSchemas


class TimedReplay(ReplayBackend):
    """Recorded turns, noting when the loop asks for each one."""

    def __init__(self, turns: list[AssistantTurn]) -> None:
        super().__init__(turns, model_name="replay:step-cost")
        self.asked: list[float] = []

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: ToolSchemas,
        on_text: TextSink | None = None,
        stop: threading.Event | None = None,
    ) -> AssistantTurn:
        self.asked.append(time.perf_counter())
        return super().next_turn(messages, tools, on_text, stop)


def turns_for(steps: int, notes: Path) -> list[AssistantTurn]:
    turns: list[AssistantTurn] = []
    for step in range(steps - 1):
        if step % 2 == 0:
            call = make_tool_call("execute_bash", {"command": f"echo step {step}"})
        elif step % 4 == 1:
            call = make_tool_call("str_replace_editor", {"command": "view", "path": str(notes)})
        else:
            arguments = {
                "command": "str_replace",
                "path": str(notes),
                "old_str": f"value = {step - 4}",
                "new_str": f"value = {step}",
            }
            call = make_tool_call("str_replace_editor", arguments)
        turns.append(AssistantTurn(content=f"Step {step}.", tool_calls=(call,)))
    done = make_tool_call("finish", {"message": "done", "task_completed": "true"})
    turns.append(AssistantTurn(tool_calls=(done,)))
    return turns


def run(steps: int, repository: Path) -> tuple[list[float], int]:
    notes = repository / "notes.txt"
    notes.write_text("first line\nvalue = -1\nlast line\n")
    subprocess.run(["git", "-C", str(repository), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repository), "commit", "-qm", "start"], check=True)
    backend = TimedReplay(turns_for(steps, notes))
    settings = Settings(max_steps=steps + 10)
    request = RunRequest(
        task="Replay.",
        cwd=repository,
        settings=settings,
        output=OutputFormat.JSONL,
        session_file=repository.parent / "session.jsonl",
    )
    with (
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        code = run_headless(backend, request, check=backend)
    asked = backend.asked
    return [later - earlier for earlier, later in itertools.pairwise(asked)], code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=1000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        repository = Path(scratch) / "repo"
        repository.mkdir()
        env = {**os.environ, "DEVCLI_DATA_DIR": str(Path(scratch) / "data")}
        os.environ.update(env)
        subprocess.run(["git", "init", "-q", "-b", "main", str(repository)], check=True)
        for key, value in (("user.name", "Bench"), ("user.email", "bench@example.com")):
            subprocess.run(["git", "-C", str(repository), "config", key, value], check=True)
        started = time.perf_counter()
        durations, code = run(options.steps, repository)
        total = time.perf_counter() - started
    block = min(100, len(durations) // 2)
    first = statistics.fmean(durations[:block]) * 1000
    last = statistics.fmean(durations[-block:]) * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{options.steps} steps, exit code {code}, {total:.1f} s in all")
    print(f"first {block} steps: {first:7.2f} ms/step")
    print(f"last  {block} steps: {last:7.2f} ms/step")
    print(f"last / first:        {last / first:7.2f}")
    print(f"peak RSS:            {peak:7.1f} MB")


if __name__ == "__main__":
    main()
