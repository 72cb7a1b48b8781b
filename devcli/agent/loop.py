"""The step loop: ask the model for a turn, run its tool calls, record everything as events."""

import threading
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from devcli.agent.budget import PromptMeter
from devcli.agent.condenser import Condenser, ContextExhausted
from devcli.agent.conversation import model_messages
from devcli.agent.stuck import stuck_reason
from devcli.event_history import unanswered_calls
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
from devcli.llm.backend import (
    Backend,
    BackendError,
    ChatMessage,
    ContextOverflowError,
    TextSink,
    TurnCancelled,
)
from devcli.safe_text import scrubbing
from devcli.tool_schema import ToolSchemas
from devcli.tools.base import ArgumentError, CallHook, Tool, ToolArgs, ToolResult
from devcli.tools.registry import ToolBox
from devcli.truncation import CHARS_PER_TOKEN, cut_middle

EventSink = Callable[[Event], None]

# Tool output the model sees is cut to this many characters, and to less as the window fills.
MAX_OBSERVATION_CHARS = 30_000
MIN_OBSERVATION_CHARS = 800

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
    CONTEXT = "context_exhausted"
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
        hooks: Sequence[CallHook] = (),
        on_text: TextSink | None = None,
        condenser: Condenser | None = None,
    ) -> None:
        self.backend = backend
        self.toolbox = toolbox
        self.system_prompt = system_prompt
        self.sinks = list(sinks)
        self.max_steps = max_steps
        self.mode = mode
        self.hooks = list(hooks)
        self.on_text = scrubbing(on_text)  # streamed text may hold lone surrogates
        self.condenser = condenser
        self.meter = condenser.meter if condenser else PromptMeter(backend)
        self.events: list[Event] = []
        self.step = 0  # model turns so far in this session; hooks may read it
        self.prompt_tokens = 0  # size of the latest prompt, counted or estimated
        # Set by a front end (from another thread) to stop the running turn before the next
        # model turn or tool call; the front end clears it before starting the next turn.
        self.cancel = threading.Event()

    def record(self, event: Event) -> None:
        self.events.append(event)
        for sink in self.sinks:
            sink(event)

    def run(self, task: str, images: Sequence[str] = ()) -> Outcome:
        """Work on one user message until the model finishes, hands back, or a limit hits."""
        self.record(UserMessage(content=task, images=tuple(images)))
        try:
            outcome = self._steps()
        except (KeyboardInterrupt, TurnCancelled):
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

    def compact(self, instructions: str | None = None) -> None:
        """Condense the history now (`/compact`); raises ContextExhausted when it cannot."""
        if self.condenser is None:
            raise ContextExhausted("this session has no condenser")
        self.record(
            self.condenser.condense(
                self.system_prompt, self.events, self.toolbox.schemas(), instructions
            )
        )

    def current_prompt_tokens(self) -> int:
        """The size of the prompt the next turn would send, counted exactly where the backend
        can (a local model), else estimated."""
        return self.meter.count(
            model_messages(self.system_prompt, self.events), self.toolbox.schemas()
        )

    def _prompt(self, tools: ToolSchemas) -> list[ChatMessage]:
        """The next prompt, condensing the history first when it would not fit."""
        messages = model_messages(self.system_prompt, self.events)
        if self.condenser is None:
            return messages
        self.prompt_tokens = self.meter.count(messages, tools)
        if self.condenser.needed(self.prompt_tokens):
            condensation = self.condenser.condense(self.system_prompt, self.events, tools)
            self.record(condensation)
            self.prompt_tokens = condensation.tokens_after
            messages = model_messages(self.system_prompt, self.events)
        return messages

    def _next_turn(self) -> AssistantTurn:
        tools = self.toolbox.schemas()
        messages = self._prompt(tools)
        try:
            turn = self.backend.next_turn(messages, tools, self.on_text, stop=self.cancel)
        except ContextOverflowError:
            if self.condenser is None:
                raise
            self.compact()  # the server's count beat our estimate: condense once and retry
            messages = model_messages(self.system_prompt, self.events)
            turn = self.backend.next_turn(messages, tools, self.on_text, stop=self.cancel)
        self.meter.observe_usage(messages, turn.usage.prompt_tokens)
        return turn

    def _steps(self) -> Outcome:
        quiet_turns = 0
        for _ in range(self.max_steps):
            self._stop_if_cancelled()
            self.step += 1
            try:
                turn = self._next_turn()
            except ContextExhausted as exc:
                message = f"Stopped: {exc}."
                self.record(ErrorEvent(message=message))
                return Outcome(reason=StopReason.CONTEXT, exit_code=ExitCode.LIMIT, message=message)
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

    def _stop_if_cancelled(self) -> None:
        if self.cancel.is_set():
            raise TurnCancelled

    def _begin_step(self) -> None:
        """Tell hooks that keep per-step state (checkpoints) that a new step starts."""
        for hook in self.hooks:
            hook.begin_step(self.step)

    def _run_calls(self, calls: Sequence[ToolCall]) -> Outcome | None:
        self._begin_step()
        finish: Outcome | None = None
        for call in calls:
            if finish is not None:
                skipped = ToolResult(content="Not run: `finish` ended the task.", is_error=True)
                self._observe(call, skipped)
                continue
            self._stop_if_cancelled()
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

    def observation_limit(self) -> int:
        """Characters of tool output the model may see now: less as the window fills."""
        if self.condenser is None:
            return MAX_OBSERVATION_CHARS
        free_tokens = max(self.condenser.limit - self.prompt_tokens, 0)
        # At most half the free room, in characters.
        room = free_tokens * CHARS_PER_TOKEN // 2
        return max(MIN_OBSERVATION_CHARS, min(MAX_OBSERVATION_CHARS, room))

    def _observe(self, call: ToolCall, result: ToolResult) -> None:
        self.record(
            Observation(
                tool_call_id=call.id,
                name=call.name,
                content=cut_middle(result.content, self.observation_limit()),
                exit_code=result.exit_code,
                is_error=result.is_error,
                images=result.images,
            )
        )

    def _close_open_calls(self, content: str) -> None:
        """Give every call without a result one, so the history stays valid for any server."""
        for call in unanswered_calls(self.events):
            self._observe(call, ToolResult(content=content, is_error=True))
