"""Rebuilds the messages a model sees from the session's events.

Each event's message is built once (events are frozen), so rebuilding the conversation at
every step costs a lookup per event rather than a new message.
"""

import threading
from collections.abc import Iterable, Sequence

from devcli.agent.per_event import PerObject
from devcli.event_history import first_user_index, latest_condensation
from devcli.events import AssistantTurn, Condensation, Event, Observation, UserMessage
from devcli.llm.backend import ChatMessage, Role

SUMMARY_HEADER = (
    "Summary of the earlier part of this session (older steps were removed to fit the "
    "context window):"
)
ELIDED_NOTE = "[This output was removed to save context; run the command again if needed.]"


def _message(event: Event) -> ChatMessage | None:
    match event:
        case UserMessage():
            return ChatMessage(role=Role.USER, content=event.content, images=event.images)
        case AssistantTurn():
            return ChatMessage(
                role=Role.ASSISTANT, content=event.content, tool_calls=event.tool_calls
            )
        case Observation():
            return _tool_message(event, event.content, event.images)
    return None


def _tool_message(event: Observation, content: str, images: tuple[str, ...] = ()) -> ChatMessage:
    return ChatMessage(
        role=Role.TOOL,
        content=content,
        tool_call_id=event.tool_call_id,
        name=event.name,
        images=images,
    )


_message_of = PerObject(_message)


def plain_messages(
    events: Iterable[Event], elided: frozenset[str] = frozenset()
) -> list[ChatMessage]:
    """The messages of these events, ignoring condensations."""
    messages: list[ChatMessage] = []
    for event in events:
        if elided and isinstance(event, Observation) and event.tool_call_id in elided:
            messages.append(_tool_message(event, ELIDED_NOTE))
            continue
        message = _message_of(event)
        if message is not None:
            messages.append(message)
    return messages


class _Built:
    """The messages of one growing event list, from the latest condensation's first kept
    event on (or from the start), and how far the list was read."""

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = events  # held, so its id cannot be reused while it is cached
        self.read = 0
        self.last: Event | None = None
        self.condensation = latest_condensation(events)
        self.messages: list[ChatMessage] = []
        start = self.condensation.first_kept if self.condensation else 0
        self._extend(start, len(events))

    def _extend(self, start: int, end: int) -> None:
        elided = frozenset(self.condensation.elided) if self.condensation else frozenset()
        self.messages += plain_messages(self.events[start:end], elided)
        self.read = end
        self.last = self.events[end - 1] if end else None

    def catch_up(self) -> bool:
        """Read what was appended since; False when the list changed in another way."""
        events = self.events
        if len(events) < self.read or (self.read and events[self.read - 1] is not self.last):
            return False
        new = events[self.read :]
        if any(isinstance(event, Condensation) for event in new):
            return False
        if new:
            self._extend(self.read, len(events))
        return True


# The event lists read last (the agent's own, and a condenser's copy); a new list is read whole.
# Sessions of one editor run in threads of their own, hence the lock.
_built: dict[int, _Built] = {}
_BUILT_KEPT = 2
_built_lock = threading.Lock()


def _built_for(events: Sequence[Event]) -> _Built:
    with _built_lock:
        built = _built.get(id(events))
        if built is not None and built.events is events and built.catch_up():
            return built
        built = _Built(events)
        _built.pop(id(events), None)
        while len(_built) >= _BUILT_KEPT:
            del _built[next(iter(_built))]
        _built[id(events)] = built
        return built


_system_messages: dict[str, ChatMessage] = {}


def _system_message(prompt: str) -> ChatMessage:
    message = _system_messages.get(prompt)
    if message is None:
        _system_messages.clear()  # one prompt per session; keep only the latest
        message = _system_messages[prompt] = ChatMessage(role=Role.SYSTEM, content=prompt)
    return message


def model_messages(system_prompt: str, events: Sequence[Event]) -> list[ChatMessage]:
    """System prompt, then the events as the latest condensation says to show them.

    Calling it again with the same (append-only) list reads only the events added since.
    """
    built = _built_for(events)
    system = [_system_message(system_prompt)]
    latest = built.condensation
    if latest is None:
        return system + built.messages
    first_user = first_user_index(events)
    task = events[first_user] if first_user is not None else None
    head = (
        [ChatMessage(role=Role.USER, content=task.content, images=task.images)]
        if isinstance(task, UserMessage)
        else []
    )
    summary = (
        [ChatMessage(role=Role.USER, content=f"{SUMMARY_HEADER}\n\n{latest.summary}")]
        if latest.summary
        else []
    )
    return system + head + summary + built.messages
