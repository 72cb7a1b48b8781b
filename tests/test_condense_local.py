"""Condensation with the real tiny GGUF at a 2048-token window.

The agent's turns are scripted; counting every prompt and writing every summary is done by
llama.cpp with the SmolLM2 GGUF, exactly as in a local session.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devcli.agent.budget import PromptMeter
from devcli.agent.condenser import Condenser
from devcli.agent.loop import Agent
from devcli.agent.system_prompt import build_system_prompt
from devcli.config import Settings
from devcli.events import AssistantTurn, Condensation, Finished
from devcli.exit_codes import ExitCode
from devcli.llm.backend import ChatMessage
from devcli.llm.formats.call_text import make_tool_call
from devcli.llm.replay import ReplayBackend
from devcli.tools.registry import ToolBox
from tests.support.llm_files import smollm2_gguf

pytest.importorskip("llama_cpp")

TASK = "Print number ranges with seq until every range up to 2400 was shown. TASK-MARKER-7"
AGENTS_RULE = "Always use seq for counting. AGENTS-MARKER-3"


@pytest.fixture(scope="module")
def local() -> Iterator[Any]:
    from devcli.llm.model_setup import build_local_backend

    backend = build_local_backend(
        Settings(model=str(smollm2_gguf()), ctx_size=2048, max_tokens=120, seed=7)
    )
    yield backend
    backend.close()


class ScriptedTurns(ReplayBackend):
    def __init__(self, turns: list[AssistantTurn]) -> None:
        super().__init__(turns, model_name="scripted")
        self.prompts: list[tuple[list[ChatMessage], list[dict[str, Any]]]] = []

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]],
        on_text: Any = None,
        stop: Any = None,
    ) -> AssistantTurn:
        self.prompts.append((messages, tools))
        return super().next_turn(messages, tools, on_text, stop)


def test_sixty_step_session_fits_a_2048_window(local: Any, tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text(f"# Project rules\n\n{AGENTS_RULE}\n")
    turns = [
        AssistantTurn(
            tool_calls=(make_tool_call("execute_bash", {"command": f"seq {i * 40} {i * 40 + 14}"}),)
        )
        for i in range(60)
    ]
    turns.append(
        AssistantTurn(
            tool_calls=(
                make_tool_call("finish", {"message": "all shown", "task_completed": "true"}),
            )
        )
    )
    scripted = ScriptedTurns(turns)
    condenser = Condenser(local, PromptMeter(local), local.context_window)
    toolbox = ToolBox.default(tmp_path)
    toolbox.compact_descriptions = True
    agent = Agent(
        scripted,
        toolbox,
        build_system_prompt(tmp_path, compact=True),
        condenser=condenser,
        max_steps=100,
    )
    try:
        outcome = agent.run(TASK)
    finally:
        toolbox.close()
    assert outcome.exit_code is ExitCode.COMPLETED, outcome.message
    assert isinstance(agent.events[-1], Finished)
    condensations = [e for e in agent.events if isinstance(e, Condensation)]
    assert len(condensations) >= 2
    # Each condensation leaves room for several steps: no condensing at every turn.
    assert len(condensations) <= 61 // 2
    assert len(scripted.prompts) == 61
    for messages, tools in scripted.prompts:
        assert AGENTS_RULE in messages[0].content
        assert messages[1].content == TASK
        assert local.count_prompt_tokens(messages, tools) <= 2048
    for condensation in condensations:
        assert condensation.tokens_after < condensation.tokens_before
        assert condensation.summary.strip()
