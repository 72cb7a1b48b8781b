"""The step loop, driven by recorded turns through the real tools."""

from pathlib import Path
from typing import Any

import pytest

from devcli.agent.loop import NO_TOOL_CALL_NUDGE, Agent, Mode, StopReason
from devcli.events import (
    AssistantTurn,
    Event,
    Finished,
    Observation,
    SessionWriter,
    ToolCall,
    UserMessage,
    read_session_file,
)
from devcli.exit_codes import ExitCode
from devcli.llm.backend import ChatMessage, Role
from devcli.llm.formats.call_text import make_tool_call
from devcli.llm.replay import ReplayBackend
from devcli.tools.base import CallHook, Refusal, Tool, ToolArgs
from devcli.tools.registry import ToolBox


def turn(*calls: ToolCall, content: str = "") -> AssistantTurn:
    return AssistantTurn(content=content, tool_calls=calls)


def bash(command: str) -> ToolCall:
    return make_tool_call("execute_bash", {"command": command})


def finish(status: str = "true", message: str = "done") -> ToolCall:
    return make_tool_call("finish", {"message": message, "task_completed": status})


class Recorder(ReplayBackend):
    """Keeps what the backend was asked, to check the conversation the model sees."""

    def __init__(self, turns: list[AssistantTurn]) -> None:
        super().__init__(turns)
        self.requests: list[list[ChatMessage]] = []

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]],
        on_text: Any = None,
        stop: Any = None,
    ) -> AssistantTurn:
        self.requests.append(messages)
        return super().next_turn(messages, tools, on_text, stop)


def make_agent(
    tmp_path: Path, turns: list[AssistantTurn], **options: Any
) -> tuple[Agent, Recorder]:
    backend = Recorder(turns)
    agent = Agent(backend, ToolBox.default(tmp_path), "SYSTEM", **options)
    return agent, backend


def observations(events: list[Event]) -> list[Observation]:
    return [e for e in events if isinstance(e, Observation)]


def test_finish_true_ends_with_exit_0(tmp_path: Path) -> None:
    agent, _ = make_agent(tmp_path, [turn(bash("echo hi > out.txt")), turn(finish())])
    outcome = agent.run("write a file")
    assert outcome.exit_code is ExitCode.COMPLETED
    assert (tmp_path / "out.txt").read_text() == "hi\n"
    last = agent.events[-1]
    assert isinstance(last, Finished) and last.task_completed == "true" and last.exit_code == 0
    agent.toolbox.close()


@pytest.mark.parametrize("status", ["false", "partial"])
def test_finish_false_or_partial_exits_1(tmp_path: Path, status: str) -> None:
    agent, _ = make_agent(tmp_path, [turn(finish(status))])
    outcome = agent.run("task")
    assert outcome.exit_code is ExitCode.NOT_COMPLETED
    assert outcome.task_completed == status


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            ToolCall(id="abcdefghi", name="execute_bash", raw_arguments='{"command": "ls"'),
            "not a valid JSON object",
        ),
        (make_tool_call("launch_rockets", {}), "no tool named `launch_rockets`"),
        (make_tool_call("execute_bash", {}), "missing required parameter `command`"),
        (
            make_tool_call(
                "str_replace_editor", {"command": "view", "path": "/x", "insert_line": "three"}
            ),
            "parameter `insert_line`",
        ),
        (
            make_tool_call("finish", {"message": "x", "task_completed": "maybe"}),
            "parameter `task_completed`",
        ),
        (make_tool_call("think", {"thought": "a", "mood": "happy"}), "unknown parameter `mood`"),
    ],
)
def test_bad_calls_become_error_observations_and_the_run_continues(
    tmp_path: Path, call: ToolCall, expected: str
) -> None:
    agent, backend = make_agent(tmp_path, [turn(call), turn(finish())])
    outcome = agent.run("task")
    assert outcome.exit_code is ExitCode.COMPLETED
    first = observations(agent.events)[0]
    assert first.is_error and expected in first.content
    # The model saw the explanation in its next request, as a tool result.
    tool_messages = [m for m in backend.requests[1] if m.role is Role.TOOL]
    assert tool_messages[0].content == first.content


def test_step_limit_exits_3(tmp_path: Path) -> None:
    turns = [turn(bash(f"echo {i}")) for i in range(10)]
    agent, _ = make_agent(tmp_path, turns, max_steps=3)
    outcome = agent.run("task")
    assert outcome.reason is StopReason.STEP_LIMIT and outcome.exit_code is ExitCode.LIMIT
    assert len([e for e in agent.events if isinstance(e, AssistantTurn)]) == 3


def test_same_action_and_result_four_times_is_stuck(tmp_path: Path) -> None:
    turns = [turn(bash("echo same")) for _ in range(10)]
    agent, _ = make_agent(tmp_path, turns)
    outcome = agent.run("task")
    assert outcome.reason is StopReason.STUCK and outcome.exit_code is ExitCode.LIMIT
    assert len([e for e in agent.events if isinstance(e, AssistantTurn)]) == 4


def test_same_failing_action_three_times_is_stuck(tmp_path: Path) -> None:
    turns = [turn(make_tool_call("execute_bash", {})) for _ in range(10)]
    agent, _ = make_agent(tmp_path, turns)
    outcome = agent.run("task")
    assert outcome.reason is StopReason.STUCK
    assert "failed 3 times" in outcome.message


def test_alternating_actions_are_stuck(tmp_path: Path) -> None:
    turns = [turn(bash("echo a")) if i % 2 == 0 else turn(bash("echo b")) for i in range(12)]
    agent, _ = make_agent(tmp_path, turns)
    outcome = agent.run("task")
    assert outcome.reason is StopReason.STUCK and "alternated" in outcome.message


def test_changing_results_are_not_stuck(tmp_path: Path) -> None:
    turns = [turn(bash("date +%N")) for _ in range(6)] + [turn(finish())]
    agent, _ = make_agent(tmp_path, turns)
    assert agent.run("task").exit_code is ExitCode.COMPLETED


def test_message_without_call_gets_one_nudge_then_ends(tmp_path: Path) -> None:
    agent, backend = make_agent(
        tmp_path, [turn(content="I think it works."), turn(content="Really.")]
    )
    outcome = agent.run("task")
    assert outcome.reason is StopReason.NO_TOOL_CALL
    assert outcome.exit_code is ExitCode.NOT_COMPLETED
    nudges = [e for e in agent.events if isinstance(e, UserMessage) and e.synthetic]
    assert [n.content for n in nudges] == [NO_TOOL_CALL_NUDGE]
    assert backend.requests[1][-1].content == NO_TOOL_CALL_NUDGE


def test_nudge_then_finish_completes(tmp_path: Path) -> None:
    agent, _ = make_agent(tmp_path, [turn(content="Looks fine."), turn(finish())])
    assert agent.run("task").exit_code is ExitCode.COMPLETED


def test_interactive_reply_hands_back_without_finish(tmp_path: Path) -> None:
    agent, _ = make_agent(tmp_path, [turn(content="Hello!")], mode=Mode.INTERACTIVE)
    outcome = agent.run("hi")
    assert outcome.reason is StopReason.REPLY
    assert not any(isinstance(e, Finished) for e in agent.events)


def test_calls_after_finish_in_one_turn_are_not_run(tmp_path: Path) -> None:
    agent, _ = make_agent(tmp_path, [turn(finish(), bash("touch late.txt"))])
    agent.run("task")
    assert not (tmp_path / "late.txt").exists()
    assert observations(agent.events)[-1].content.startswith("Not run")


def test_conversation_pairs_every_call_with_its_result(tmp_path: Path) -> None:
    agent, backend = make_agent(
        tmp_path, [turn(bash("echo one"), bash("echo two"), content="Two at once."), turn(finish())]
    )
    agent.run("task")
    second = backend.requests[1]
    assert [m.role for m in second] == [
        Role.SYSTEM,
        Role.USER,
        Role.ASSISTANT,
        Role.TOOL,
        Role.TOOL,
    ]
    assistant = second[2]
    assert [m.tool_call_id for m in second[3:]] == [c.id for c in assistant.tool_calls]
    assert second[3].content.startswith("one") and second[4].content.startswith("two")


class RefuseRm(CallHook):
    def before(self, call: ToolCall, tool: Tool[Any], args: ToolArgs) -> Refusal | None:
        if "rm " in str(call.arguments.get("command", "")):
            return Refusal(reason="refused: no deleting")
        return None


def test_hook_refusal_is_observed_and_nothing_runs(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    agent, _ = make_agent(tmp_path, [turn(bash("rm keep.txt")), turn(finish())], hooks=[RefuseRm()])
    agent.run("task")
    assert (tmp_path / "keep.txt").exists()
    assert observations(agent.events)[0].content == "refused: no deleting"


class Interrupting(ReplayBackend):
    def __init__(self) -> None:
        super().__init__([], model_name="interrupting")
        self.calls = 0

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]],
        on_text: Any = None,
        stop: Any = None,
    ) -> AssistantTurn:
        self.calls += 1
        if self.calls == 1:
            return turn(bash("echo started"))
        raise KeyboardInterrupt


def test_ctrl_c_ends_with_130_and_a_finish_event(tmp_path: Path) -> None:
    agent = Agent(Interrupting(), ToolBox.default(tmp_path), "SYSTEM")
    outcome = agent.run("task")
    assert outcome.exit_code is ExitCode.INTERRUPTED
    assert isinstance(agent.events[-1], Finished) and agent.events[-1].exit_code == 130


def test_backend_exhaustion_exits_4(tmp_path: Path) -> None:
    agent, _ = make_agent(tmp_path, [turn(bash("true"))])
    outcome = agent.run("task")
    assert outcome.exit_code is ExitCode.BACKEND
    assert "no more recorded turns" in outcome.message


def test_session_file_parses_back_into_equal_events(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    writer = SessionWriter(path)
    turns = [
        turn(bash("printf 'ünïcode\\n'"), content="Let me check."),
        turn(ToolCall(id="Zz9Zz9Zz9", name="execute_bash", raw_arguments="{oops")),
        turn(content="no call"),
        turn(finish("partial", "half done")),
    ]
    agent = Agent(ReplayBackend(turns), ToolBox.default(tmp_path), "SYSTEM", sinks=[writer])
    agent.run("task")
    writer.close()
    assert read_session_file(path) == agent.events
    assert len(agent.events) > 8


def test_system_prompt_is_first_and_user_task_second(tmp_path: Path) -> None:
    agent, backend = make_agent(tmp_path, [turn(finish())])
    agent.run("the task")
    first = backend.requests[0]
    assert first[0] == ChatMessage(role=Role.SYSTEM, content="SYSTEM")
    assert first[1] == ChatMessage(role=Role.USER, content="the task")
