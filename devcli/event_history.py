"""Questions asked of a session's events: where the task is, the latest condensation, and
which calls still wait for a result."""

from collections.abc import Iterable, Sequence

from devcli.events import AssistantTurn, Condensation, Event, Observation, ToolCall, UserMessage


def first_user_index(events: Sequence[Event]) -> int | None:
    """Where the task is: the first message the user (not devcli) sent."""
    for index, event in enumerate(events):
        if isinstance(event, UserMessage) and not event.synthetic:
            return index
    return None


def latest_condensation(events: Sequence[Event]) -> Condensation | None:
    for event in reversed(events):
        if isinstance(event, Condensation):
            return event
    return None


def unanswered_calls(events: Iterable[Event]) -> list[ToolCall]:
    """Calls with no observation yet (cut off by Ctrl-C or a crash), oldest first."""
    events = list(events)
    answered = {e.tool_call_id for e in events if isinstance(e, Observation)}
    return [
        call
        for event in events
        if isinstance(event, AssistantTurn)
        for call in event.tool_calls
        if call.id not in answered
    ]
