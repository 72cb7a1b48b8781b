"""The agent's events, and the text it streams, as ACP session updates.

One translator per session. It remembers the calls of the latest turn, so it can say which
call is waiting for a decision, and the diff shown when an edit started, so the finished call
shows the same diff. Replaying a saved session goes through the same translation.
"""

from collections.abc import Iterable
from pathlib import Path

from acp import (
    start_tool_call,
    update_agent_message_text,
    update_agent_thought_text,
    update_plan,
    update_tool_call,
    update_user_message_text,
)
from acp.schema import (
    AgentMessageChunk,
    AgentPlanUpdate,
    AgentThoughtChunk,
    CurrentModeUpdate,
    FileEditToolCallContent,
    ToolCallProgress,
    ToolCallStart,
    ToolCallUpdate,
    UserMessageChunk,
)

from devcli.acp import call_view
from devcli.acp.call_view import TextReader
from devcli.acp.plan import stated_plan
from devcli.events import (
    AssistantTurn,
    ErrorEvent,
    Event,
    Finished,
    Observation,
    ToolCall,
    UserMessage,
)

SessionUpdate = (
    AgentMessageChunk
    | UserMessageChunk
    | AgentThoughtChunk
    | ToolCallStart
    | ToolCallProgress
    | AgentPlanUpdate
    | CurrentModeUpdate
)


class UpdateTranslator:
    def __init__(self, workspace: Path, read: TextReader) -> None:
        self.workspace = workspace
        self._read = read
        self._calls: dict[str, ToolCall] = {}
        self._waiting: list[str] = []  # calls of the latest turn without a result, in order
        self._diffs: dict[str, FileEditToolCallContent] = {}
        self._streamed = False  # the current turn's text already went out as chunks

    # -- while a turn runs -----------------------------------------------------------------

    def new_prompt(self) -> None:
        """A reply cut off while streaming (a cancel) leaves nothing behind for the next one."""
        self._streamed = False

    def streamed_text(self, chunk: str) -> list[SessionUpdate]:
        if not chunk:
            return []
        self._streamed = True
        return [update_agent_message_text(chunk)]

    def recorded(self, event: Event) -> list[SessionUpdate]:
        """The updates for an event the agent has just recorded (or, replaying, had)."""
        match event:
            case AssistantTurn():
                return self._turn(event)
            case Observation():
                return self._result(event)
            case ErrorEvent():
                return [update_agent_message_text(f"\n\n**devcli:** {event.message}\n")]
            case Finished() if event.reason == "finish" and event.message.strip():
                return [update_agent_message_text(event.message)]
        return []

    def started(self, call: ToolCall) -> list[SessionUpdate]:
        """The call passed every check and runs now; an edit shows the diff it will make."""
        diff = call_view.edit_preview(call, self._read)
        if diff is not None:
            self._diffs[call.id] = diff
        return [
            update_tool_call(
                call.id, status="in_progress", content=[diff] if diff is not None else None
            )
        ]

    def waiting_call(self) -> ToolCall | None:
        """The call being checked or run now: calls run one at a time, in the turn's order."""
        return self._calls[self._waiting[0]] if self._waiting else None

    def permission_view(self, call: ToolCall) -> ToolCallUpdate:
        """The call as a permission request shows it."""
        return ToolCallUpdate(
            tool_call_id=call.id,
            title=call_view.title(call, self.workspace),
            kind=call_view.kind(call),
            status="pending",
            content=call_view.request_content(call, self._read) or None,
            locations=call_view.locations(call),
            raw_input=call_view.raw_input(call),
        )

    # -- a saved session -------------------------------------------------------------------

    def history(self, events: Iterable[Event]) -> list[SessionUpdate]:
        """A saved conversation as the client would have seen it, the user's messages too."""
        updates: list[SessionUpdate] = []
        for event in events:
            if isinstance(event, UserMessage):
                if not event.synthetic:
                    updates.append(update_user_message_text(event.content))
                continue
            updates += self.recorded(event)
        self._waiting = []  # a saved session has no call in flight
        return updates

    # -- the pieces ------------------------------------------------------------------------

    def _turn(self, turn: AssistantTurn) -> list[SessionUpdate]:
        updates: list[SessionUpdate] = []
        if turn.reasoning:
            updates.append(update_agent_thought_text(turn.reasoning))
        if turn.content.strip() and not self._streamed:
            updates.append(update_agent_message_text(turn.content))
        self._streamed = False
        plan = stated_plan(turn.content, numbered_lists_count=False)
        self._waiting = []
        for call in turn.tool_calls:
            self._calls[call.id] = call
            self._waiting.append(call.id)
            updates.append(
                start_tool_call(
                    call.id,
                    call_view.title(call, self.workspace),
                    kind=call_view.kind(call),
                    status="pending",
                    locations=call_view.locations(call),
                    raw_input=call_view.raw_input(call),
                )
            )
            thought = call.arguments.get("thought")
            if call.name == "think" and isinstance(thought, str):
                plan = stated_plan(thought, numbered_lists_count=True) or plan
        if plan is not None:
            updates.append(update_plan(plan))
        return updates

    def _result(self, observation: Observation) -> list[SessionUpdate]:
        call_id = observation.tool_call_id
        if call_id in self._waiting:
            self._waiting.remove(call_id)
        call = self._calls.get(call_id)
        diff = self._diffs.pop(call_id, None)
        if diff is None and call is not None:
            diff = call_view.edit_fragments(call)
        content = call_view.result_content(call, observation, diff)
        return [
            update_tool_call(
                call_id,
                status=call_view.status(observation),
                content=content or None,
                raw_output={"content": observation.content, "exit_code": observation.exit_code},
            )
        ]
