"""Prompt tokens llama.cpp evaluates per turn across condensations, on a real GGUF.

A scripted session (the turns run `seq` through the real bash tool) grows until the condenser
fires. Every prompt is evaluated by the local backend exactly as in a session (one token is
generated and discarded), and the summaries are written by the same model. For each turn the
script prints the prompt size, how many of its tokens are shared with the previous prompt, and
how many llama.cpp evaluated: between condensations only the new tail is evaluated; after one,
evaluation restarts at the condensation point, after the system prompt and the task.

    python benchmarks/condense_reuse.py [--model PATH] [--ctx-size 4096] [--turns 40]
"""

import argparse
import tempfile
import threading
from pathlib import Path

from benchmarks.local_model import add_model_option, model_path
from devcli.agent.budget import PromptMeter
from devcli.agent.condenser import Condenser
from devcli.agent.loop import Agent
from devcli.agent.system_prompt import build_system_prompt
from devcli.config import Settings
from devcli.events import AssistantTurn, Condensation
from devcli.llm.backend import ChatMessage, TextSink
from devcli.llm.formats.call_text import make_tool_call
from devcli.llm.local import LocalBackend
from devcli.llm.model_setup import build_local_backend
from devcli.llm.replay import ReplayBackend
from devcli.tool_schema import ToolSchemas
from devcli.tools.registry import ToolBox


class Row:
    def __init__(self, prompt: int, shared: int, evaluated: int, condensed: bool) -> None:
        self.prompt, self.shared, self.evaluated, self.condensed = (
            prompt,
            shared,
            evaluated,
            condensed,
        )


class EvaluatedTurns:
    """Scripted turns; each prompt is first evaluated by the local model and measured."""

    kind = "replay"
    model_name = "scripted"

    def __init__(self, local: LocalBackend, turns: list[AssistantTurn]) -> None:
        self.local = local
        self.inner = ReplayBackend(turns)
        self.rows: list[Row] = []
        self.previous: list[int] = []
        self.condensations_seen = 0
        self.agent: Agent | None = None

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: ToolSchemas,
        on_text: TextSink | None = None,
        stop: threading.Event | None = None,
    ) -> AssistantTurn:
        self.local.max_tokens = 1
        self.local.force_tool_call = False
        self.local.next_turn(messages, tools)
        timings = self.local.last_timings
        assert timings is not None
        prompt = list(self.local.last_prompt)
        shared = 0
        for a, b in zip(prompt, self.previous, strict=False):
            if a != b:
                break
            shared += 1
        assert self.agent is not None
        seen = sum(isinstance(e, Condensation) for e in self.agent.events)
        self.rows.append(
            Row(len(prompt), shared, timings.prompt_evaluated, seen > self.condensations_seen)
        )
        self.condensations_seen = seen
        self.previous = prompt
        return self.inner.next_turn(messages, tools, on_text)

    def close(self) -> None:
        pass


class Summaries:
    """The same model, allowed to write a real summary."""

    kind = "local"

    def __init__(self, local: LocalBackend) -> None:
        self.local = local
        self.model_name = local.model_name
        self.context_window = local.context_window

    def count_prompt_tokens(self, messages: list[ChatMessage], tools: ToolSchemas) -> int:
        return self.local.count_prompt_tokens(messages, tools)

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: ToolSchemas,
        on_text: TextSink | None = None,
        stop: threading.Event | None = None,
    ) -> AssistantTurn:
        self.local.max_tokens = 96
        return self.local.next_turn(messages, tools, stop=stop)

    def close(self) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_option(parser)
    parser.add_argument("--ctx-size", type=int, default=4096)
    parser.add_argument("--turns", type=int, default=40)
    options = parser.parse_args()
    local = build_local_backend(
        Settings(
            model=model_path(options.model),
            ctx_size=options.ctx_size,
            temperature=0.0,
            seed=1,
        )
    )
    turns = [
        AssistantTurn(
            tool_calls=(make_tool_call("execute_bash", {"command": f"seq {i} {i + 45}"}),)
        )
        for i in range(options.turns)
    ]
    turns.append(
        AssistantTurn(
            tool_calls=(make_tool_call("finish", {"message": "done", "task_completed": "true"}),)
        )
    )
    scripted = EvaluatedTurns(local, turns)
    summaries = Summaries(local)
    workspace = Path(tempfile.mkdtemp(prefix="condense-reuse-"))
    toolbox = ToolBox.default(workspace)
    condenser = Condenser(summaries, PromptMeter(summaries), local.context_window)
    compact = local.context_window <= 8192
    toolbox.compact_descriptions = compact
    agent = Agent(
        scripted,
        toolbox,
        build_system_prompt(workspace, compact=compact),
        condenser=condenser,
        max_steps=options.turns + 5,
    )
    scripted.agent = agent
    outcome = agent.run("Print the number ranges with seq, one range per step.")
    toolbox.close()
    print(f"window {local.context_window} tokens, outcome: {outcome.reason.value}")
    print(f"{'turn':>4} {'prompt':>7} {'shared':>7} {'new':>5} {'evaluated':>9}  note")
    for number, row in enumerate(scripted.rows, start=1):
        note = "condensed before this turn" if row.condensed else ""
        print(
            f"{number:4} {row.prompt:7} {row.shared:7} {row.prompt - row.shared:5} "
            f"{row.evaluated:9}  {note}"
        )
    steady = [r for r in scripted.rows[1:] if not r.condensed]
    if steady:
        ratio = max(r.evaluated / max(r.prompt - r.shared, 1) for r in steady)
        print(f"worst evaluated/new between condensations: {ratio:.3f}")
    local.close()


if __name__ == "__main__":
    main()
