"""The step loop: ask the model for a turn, run its tool calls, record everything as events."""

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from devcli.agent.conversation import conversation
from devcli.agent.hooks import ToolHook
from devcli.agent.stuck import stuck_reason
from devcli.events import (
    AssistantTurn,
    ErrorEvent,
    Event,
    Finished,
    Observation,
    TaskCompleted,
    ToolCall,
    UserMessage,
)
from devcli.exit_codes import ExitCode
from devcli.llm.base import Backend, BackendError, TextSink
from devcli.tools.base import ArgumentError, Tool, ToolArgs, ToolResult
from devcli.tools.registry import ToolBox

EventSink = Callable[[Event], None]

NO_TOOL_CALL_NUDGE = (
    "Your last message called no tool. Carry on with the task using the tools; when it is "
    "done, or cannot be done, call `finish` with a summary."
)


class Mode(StrEnum):
    HEADLESS = "headless"  # `devcli run`: nobody answers, the run must end with `finish`
    INTERACTIVE = "interactive"  # the REPL: a message without a tool call hands back to the user


class StopReason(StrEnum):
    FINISH = "finish"
    NO_TOOL_CALL = "no_tool_call"
    STEP_LIMIT = "step_limit"
    STUCK = "stuck"
    BACKEND = "backend_error"
    INTERRUPTED = "interrupted"
    REPLY = "reply"  # interactive: the model answered the user and waits


class Outcome(BaseModel):
    reason: StopReason
    exit_code: ExitCode
    message: str
    task_completed: TaskCompleted = "false"


class Agent:
    def __init__(
        self,
        backend: Backend,
        toolbox: ToolBox,
        system_prompt: str,
        sinks: Sequence[EventSink] = (),
        max_steps: int = 100,
        mode: Mode = Mode.HEADLESS,
        hooks: Sequence[ToolHook] = (),
        on_text: TextSink | None = None,
    ) -> None:
        self.backend = backend
        self.toolbox = toolbox
        self.system_prompt = system_prompt
        self.sinks = list(sinks)
        self.max_steps = max_steps
        self.mode = mode
        self.hooks = list(hooks)
        self.on_text = on_text
        self.events: list[Event] = []

    def record(self, event: Event) -> None:
        self.events.append(event)
        for sink in self.sinks:
            sink(event)

    def run(self, task: str) -> Outcome:
        """Work on one user message until the model finishes, hands back, or a limit hits."""
        self.record(UserMessage(content=task))
        try:
            outcome = self._steps()
        except KeyboardInterrupt:
            self._close_open_calls("Interrupted by the user before this call finished.")
            outcome = Outcome(
                reason=StopReason.INTERRUPTED,
                exit_code=ExitCode.INTERRUPTED,
                message="Interrupted by the user.",
            )
        if outcome.reason is not StopReason.REPLY:
            self.record(
                Finished(
                    message=outcome.message,
                    task_completed=outcome.task_completed,
                    exit_code=int(outcome.exit_code),
                    reason=outcome.reason.value,
                )
            )
        return outcome

    def _steps(self) -> Outcome:
        quiet_turns = 0
        for _ in range(self.max_steps):
            try:
                turn = self.backend.next_turn(
                    conversation(self.system_prompt, self.events),
                    self.toolbox.schemas(),
                    self.on_text,
                )
            except BackendError as exc:
                self.record(ErrorEvent(message=str(exc)))
                return Outcome(
                    reason=StopReason.BACKEND, exit_code=ExitCode.BACKEND, message=str(exc)
                )
            self.record(turn)
            if not turn.tool_calls:
                quiet_turns += 1
                if self.mode is Mode.INTERACTIVE:
                    return Outcome(
                        reason=StopReason.REPLY, exit_code=ExitCode.COMPLETED, message=turn.content
                    )
                if quiet_turns >= 2:
                    return Outcome(
                        reason=StopReason.NO_TOOL_CALL,
                        exit_code=ExitCode.NOT_COMPLETED,
                        message="The model stopped without calling `finish`: "
                        + (turn.content.strip() or "(empty message)"),
                    )
                self.record(UserMessage(content=NO_TOOL_CALL_NUDGE, synthetic=True))
                continue
            quiet_turns = 0
            finish = self._run_calls(turn.tool_calls)
            if finish is not None:
                return finish
            reason = stuck_reason(self.events)
            if reason is not None:
                message = f"Stopped because {reason}."
                self.record(ErrorEvent(message=message))
                return Outcome(reason=StopReason.STUCK, exit_code=ExitCode.LIMIT, message=message)
        message = f"Stopped after reaching the step limit ({self.max_steps} steps)."
        self.record(ErrorEvent(message=message))
        return Outcome(reason=StopReason.STEP_LIMIT, exit_code=ExitCode.LIMIT, message=message)

    def _run_calls(self, calls: Sequence[ToolCall]) -> Outcome | None:
        finish: Outcome | None = None
        for call in calls:
            if finish is not None:
                skipped = ToolResult(content="Not run: `finish` ended the task.", is_error=True)
                self._observe(call, skipped)
                continue
            result = self._run_one(call)
            self._observe(call, result)
            if result.finish is not None:
                done = result.finish.task_completed == "true"
                finish = Outcome(
                    reason=StopReason.FINISH,
                    exit_code=ExitCode.COMPLETED if done else ExitCode.NOT_COMPLETED,
                    message=result.finish.message,
                    task_completed=result.finish.task_completed,
                )
        return finish

    def _run_one(self, call: ToolCall) -> ToolResult:
        try:
            tool, args = self.toolbox.prepare(call)
        except ArgumentError as exc:
            return ToolResult(content=str(exc), is_error=True)
        refusal = self._review(call, tool, args)
        if refusal is not None:
            return ToolResult(content=refusal, is_error=True)
        return tool.execute(args)

    def _review(self, call: ToolCall, tool: Tool[Any], args: ToolArgs) -> str | None:
        for hook in self.hooks:
            refusal = hook.before(call, tool, args)
            if refusal is not None:
                return refusal.reason
        return None

    def _observe(self, call: ToolCall, result: ToolResult) -> None:
        self.record(
            Observation(
                tool_call_id=call.id,
                name=call.name,
                content=result.content,
                exit_code=result.exit_code,
                is_error=result.is_error,
            )
        )

    def _close_open_calls(self, content: str) -> None:
        """Give every call without a result one, so the history stays valid for any server."""
        answered = {e.tool_call_id for e in self.events if isinstance(e, Observation)}
        for event in reversed(self.events):
            if isinstance(event, AssistantTurn):
                for call in event.tool_calls:
                    if call.id not in answered:
                        self._observe(call, ToolResult(content=content, is_error=True))
                break
