"""Cancelling a turn from outside the loop (what ACP's session/cancel does): the same ending as
Ctrl-C, with real bash and recorded turns."""

import threading
import time
from pathlib import Path
from typing import Any

from devcli.agent.loop import Agent, Mode, StopReason
from devcli.events import AssistantTurn, Finished, Observation, ToolCall
from devcli.exit_codes import ExitCode
from devcli.llm.backend import TurnCancelled
from devcli.llm.formats.call_text import make_tool_call
from devcli.llm.replay import ReplayBackend
from devcli.tools.base import CallHook, Refusal, Tool, ToolArgs
from devcli.tools.bash import BashTool
from devcli.tools.registry import ToolBox

BOUND_S = 60.0  # a bound on waiting, not a speed check


def bash(command: str) -> ToolCall:
    return make_tool_call("execute_bash", {"command": command})


def reply(text: str, *calls: ToolCall) -> AssistantTurn:
    return AssistantTurn(content=text, tool_calls=calls)


class CancelOnFirstCall(CallHook):
    """A hook that sets the agent's cancel flag while the first call is being checked."""

    def __init__(self) -> None:
        self.agent: Agent | None = None

    def before(self, call: ToolCall, tool: Tool[Any], args: ToolArgs) -> Refusal | None:
        assert self.agent is not None
        self.agent.cancel.set()
        return None


def test_a_cancel_between_calls_answers_the_rest_and_keeps_the_session(tmp_path: Path) -> None:
    hook = CancelOnFirstCall()
    turns = [
        reply("", bash("echo one > one.txt"), bash("echo two > two.txt")),
        reply("Done."),
    ]
    agent = Agent(
        ReplayBackend(turns), ToolBox.default(tmp_path), "S", mode=Mode.INTERACTIVE, hooks=[hook]
    )
    hook.agent = agent
    outcome = agent.run("write two files")
    assert outcome.reason is StopReason.INTERRUPTED and outcome.exit_code is ExitCode.INTERRUPTED
    assert (tmp_path / "one.txt").exists() and not (tmp_path / "two.txt").exists()
    second = [e for e in agent.events if isinstance(e, Observation)][1]
    assert second.is_error and "Interrupted by the user" in second.content
    finished = agent.events[-1]
    assert isinstance(finished, Finished) and finished.reason == "interrupted"
    # The front end clears the flag for the next turn, and the session goes on.
    agent.hooks = []
    agent.cancel.clear()
    assert agent.run("and now?").reason is StopReason.REPLY
    agent.toolbox.close()


def test_a_cancel_interrupts_the_running_command(tmp_path: Path) -> None:
    turns = [reply("", bash("sleep 100")), reply("never asked for")]
    toolbox = ToolBox.default(tmp_path)
    agent = Agent(ReplayBackend(turns), toolbox, "S", mode=Mode.INTERACTIVE)
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(agent.run("wait")))
    worker.start()
    shell_tool = toolbox.tools["execute_bash"]
    assert isinstance(shell_tool, BashTool)
    deadline = time.monotonic() + BOUND_S
    while not shell_tool.busy:
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.02)
    agent.cancel.set()
    shell_tool.interrupt()
    worker.join(BOUND_S)
    assert not worker.is_alive()
    assert results[0].reason is StopReason.INTERRUPTED
    result = next(e for e in agent.events if isinstance(e, Observation))
    assert result.exit_code == 130  # the command ended by Ctrl-C, long before its 100 s
    assert not shell_tool.busy
    toolbox.close()


def test_turn_cancelled_raised_while_the_model_streams_stops_the_turn(tmp_path: Path) -> None:
    def stop_streaming(chunk: str) -> None:
        raise TurnCancelled

    turns = [reply("Let me think", bash("echo never > never.txt"))]
    agent = Agent(ReplayBackend(turns), ToolBox.default(tmp_path), "S", on_text=stop_streaming)
    outcome = agent.run("go")
    assert outcome.reason is StopReason.INTERRUPTED
    assert not (tmp_path / "never.txt").exists()
    assert not any(isinstance(e, AssistantTurn) for e in agent.events)
