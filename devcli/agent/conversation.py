"""Rebuilds the messages a model sees from the session's events."""

from collections.abc import Iterable, Sequence

from devcli.event_history import first_user_index, latest_condensation
from devcli.events import AssistantTurn, Event, Observation, UserMessage
from devcli.llm.backend import ChatMessage, Role

SUMMARY_HEADER = (
    "Summary of the earlier part of this session (older steps were removed to fit the "
    "context window):"
)
ELIDED_NOTE = "[This output was removed to save context; run the command again if needed.]"


def plain_messages(
    events: Iterable[Event], elided: frozenset[str] = frozenset()
) -> list[ChatMessage]:
    """The messages of these events, ignoring condensations."""
    messages: list[ChatMessage] = []
    for event in events:
        match event:
            case UserMessage():
                messages.append(ChatMessage(role=Role.USER, content=event.content))
            case AssistantTurn():
                messages.append(
                    ChatMessage(
                        role=Role.ASSISTANT, content=event.content, tool_calls=event.tool_calls
                    )
                )
            case Observation():
                content = ELIDED_NOTE if event.tool_call_id in elided else event.content
                messages.append(
                    ChatMessage(
                        role=Role.TOOL,
                        content=content,
                        tool_call_id=event.tool_call_id,
                        name=event.name,
                    )
                )
    return messages


def model_messages(system_prompt: str, events: Sequence[Event]) -> list[ChatMessage]:
    """System prompt, then the events as the latest condensation says to show them."""
    system = [ChatMessage(role=Role.SYSTEM, content=system_prompt)]
    latest = latest_condensation(events)
    if latest is None:
        return system + plain_messages(events)
    first_user = first_user_index(events)
    task = events[first_user] if first_user is not None else None
    head = (
        [ChatMessage(role=Role.USER, content=task.content)] if isinstance(task, UserMessage) else []
    )
    summary = (
        [ChatMessage(role=Role.USER, content=f"{SUMMARY_HEADER}\n\n{latest.summary}")]
        if latest.summary
        else []
    )
    kept = plain_messages(events[latest.first_kept :], frozenset(latest.elided))
    return system + head + summary + kept
