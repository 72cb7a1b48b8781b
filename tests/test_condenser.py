"""The condenser on scripted sessions: it fires, keeps the task and plan, and never loops."""

from pathlib import Path
from typing import Any

from devcli.agent.budget import PromptMeter, estimate_tokens
from devcli.agent.condenser import Condenser, action_digest
from devcli.agent.conversation import ELIDED_NOTE, SUMMARY_HEADER, model_messages
from devcli.agent.loop import Agent, StopReason
from devcli.events import AssistantTurn, Condensation, Finished, Observation, ToolCall
from devcli.exit_codes import ExitCode
from devcli.llm.backend import ChatMessage, Role
from devcli.llm.formats.call_text import make_tool_call
from devcli.llm.replay import ReplayBackend
from devcli.tools.registry import ToolBox

TASK = "Count the lines of every generated file and report the total. KEEP-THIS-TASK"
SUMMARY = (
    "TASK: count lines. DONE: several files counted. PENDING: the rest. FILES CHANGED: none. "
    "TEST STATE: n/a. CURRENT PLAN: keep counting, then finish."
)


class Recorder(ReplayBackend):
    """The agent's backend: recorded turns, and a record of every prompt it was sent."""

    def __init__(self, turns: list[AssistantTurn]) -> None:
        super().__init__(turns)
        self.prompts: list[list[ChatMessage]] = []

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]],
        on_text: Any = None,
        stop: Any = None,
    ) -> AssistantTurn:
        self.prompts.append(messages)
        return super().next_turn(messages, tools, on_text, stop)


def bash_turn(command: str) -> AssistantTurn:
    return AssistantTurn(tool_calls=(make_tool_call("execute_bash", {"command": command}),))


def finish_turn() -> AssistantTurn:
    call = make_tool_call("finish", {"message": "total counted", "task_completed": "true"})
    return AssistantTurn(tool_calls=(call,))


def summaries(count: int) -> Recorder:
    return Recorder([AssistantTurn(content=SUMMARY) for _ in range(count)])


def make_agent(
    tmp_path: Path,
    turns: list[AssistantTurn],
    window: int,
    summariser: Any,
    system_prompt: str = "You are a test agent.",
    max_steps: int = 200,
) -> tuple[Agent, Recorder]:
    backend = Recorder(turns)
    condenser = Condenser(summariser, PromptMeter(backend), window)
    agent = Agent(
        backend, ToolBox.default(tmp_path), system_prompt, condenser=condenser, max_steps=max_steps
    )
    agent.toolbox.compact_descriptions = True
    return agent, backend


def test_long_session_condenses_several_times_and_completes(tmp_path: Path) -> None:
    turns = [bash_turn(f"seq {i} {i + 60}") for i in range(60)] + [finish_turn()]
    summariser = summaries(60)
    agent, backend = make_agent(tmp_path, turns, window=2048, summariser=summariser)
    outcome = agent.run(TASK)
    assert outcome.exit_code is ExitCode.COMPLETED, outcome.message
    condensations = [e for e in agent.events if isinstance(e, Condensation)]
    assert len(condensations) >= 3
    tools = agent.toolbox.schemas()
    for prompt in backend.prompts:
        assert prompt[1].content == TASK  # the task is in every prompt, right after the system
        assert estimate_tokens(prompt, tools) <= 2048
    for condensation in condensations:
        assert condensation.tokens_after < condensation.tokens_before
    # Every summary request showed the task, and fitted the window with room for the answer.
    assert all(any(TASK in m.content for m in request) for request in summariser.prompts)
    assert all(estimate_tokens(request, tools) < 2048 for request in summariser.prompts)
    agent.toolbox.close()


def test_condensed_prompt_shape_and_stable_prefix(tmp_path: Path) -> None:
    turns = [bash_turn(f"seq {i} {i + 80}") for i in range(30)] + [finish_turn()]
    agent, backend = make_agent(tmp_path, turns, window=2048, summariser=summaries(30))
    agent.run(TASK)
    after = next(
        p for p in backend.prompts if len(p) > 2 and p[2].content.startswith(SUMMARY_HEADER)
    )
    assert [m.role for m in after[:4]] == [Role.SYSTEM, Role.USER, Role.USER, Role.ASSISTANT]
    assert SUMMARY in after[2].content
    # Every call in the condensed prompt still has its result, in order.
    call_ids = [c.id for m in after if m.role is Role.ASSISTANT for c in m.tool_calls]
    result_ids = [m.tool_call_id for m in after if m.role is Role.TOOL]
    assert call_ids == result_ids
    # Between condensations a prompt only grows at its end: the cached prefix stays valid.
    rewrites = 0
    for earlier, later in zip(backend.prompts, backend.prompts[1:], strict=False):
        assert later[:2] == earlier[:2]
        if later[: len(earlier)] != earlier:
            rewrites += 1
            assert later[2].content.startswith(SUMMARY_HEADER)
    assert rewrites == len([e for e in agent.events if isinstance(e, Condensation)])
    agent.toolbox.close()


def test_summariser_failure_still_condenses_with_the_action_digest(tmp_path: Path) -> None:
    turns = [bash_turn(f"seq {i} {i + 80}") for i in range(20)] + [finish_turn()]
    no_summaries = Recorder([])  # every summary request fails
    agent, _ = make_agent(tmp_path, turns, window=2048, summariser=no_summaries)
    assert agent.run(TASK).exit_code is ExitCode.COMPLETED
    condensation = next(e for e in agent.events if isinstance(e, Condensation))
    assert condensation.summary.startswith("ACTIONS TAKEN:")
    assert "execute_bash seq 0 80 (exit 0)" in condensation.summary
    agent.toolbox.close()


def test_too_little_freed_stops_with_exit_3_instead_of_looping(tmp_path: Path) -> None:
    huge_system_prompt = "rule " * 1200  # alone it fills most of a 2048-token window
    turns = [bash_turn(f"seq {i} {i + 30}") for i in range(20)]
    summariser = summaries(20)
    agent, _ = make_agent(
        tmp_path, turns, window=2048, summariser=summariser, system_prompt=huge_system_prompt
    )
    outcome = agent.run(TASK)
    assert outcome.reason is StopReason.CONTEXT
    assert outcome.exit_code is ExitCode.LIMIT
    assert "--ctx-size" in outcome.message
    assert isinstance(agent.events[-1], Finished)
    assert len(summariser.prompts) <= 2
    agent.toolbox.close()


def test_oldest_kept_observations_are_elided_when_the_summary_is_not_enough(
    tmp_path: Path,
) -> None:
    # Size the fixed part of the prompt to 62 % of the window: after a summary, even the most
    # recent step's output does not fit under the 75 % threshold.
    tools = ToolBox.default(tmp_path)
    tools.compact_descriptions = True
    fixed = estimate_tokens([ChatMessage(role=Role.USER, content=TASK)], tools.schemas())
    system_prompt = "rule " * int((0.62 * 2048 - fixed - 6) * 3 / 5)
    turns = [bash_turn("seq 1 300"), bash_turn("seq 1 301"), finish_turn()]
    agent, backend = make_agent(
        tmp_path, turns, window=2048, summariser=summaries(5), system_prompt=system_prompt
    )
    outcome = agent.run(TASK)
    assert outcome.exit_code is ExitCode.COMPLETED, outcome.message
    condensation = next(e for e in agent.events if isinstance(e, Condensation))
    assert condensation.elided
    assert any(m.content == ELIDED_NOTE for m in backend.prompts[-1])
    agent.toolbox.close()


def test_observation_limit_shrinks_as_the_window_fills(tmp_path: Path) -> None:
    agent, _ = make_agent(tmp_path, [], window=100_000, summariser=summaries(1))
    agent.prompt_tokens = 1_000
    roomy = agent.observation_limit()
    agent.prompt_tokens = 70_000
    tight = agent.observation_limit()
    assert roomy == 30_000
    assert 800 <= tight < roomy


def test_compact_by_hand_passes_instructions_to_the_summariser(tmp_path: Path) -> None:
    turns = [bash_turn(f"echo step {i}") for i in range(4)]
    summariser = summaries(1)
    agent, _ = make_agent(tmp_path, [*turns, finish_turn()], window=100_000, summariser=summariser)
    agent.max_steps = 4
    agent.run(TASK)
    agent.compact("remember the step numbers")
    condensation = agent.events[-1]
    assert isinstance(condensation, Condensation)
    assert "remember the step numbers" in summariser.prompts[0][-1].content
    messages = model_messages("SYSTEM", agent.events)
    assert messages[1].content == TASK and SUMMARY in messages[2].content
    agent.toolbox.close()


def test_action_digest_lists_calls_and_results() -> None:
    call = ToolCall(id="abcdefghi", name="execute_bash", arguments={"command": "pytest -x"})
    events = [
        AssistantTurn(tool_calls=(call,)),
        Observation(tool_call_id="abcdefghi", name="execute_bash", content="1 failed", exit_code=1),
    ]
    assert action_digest(events) == "ACTIONS TAKEN:\n- execute_bash pytest -x (exit 1)"
