"""Rebuilds the messages a model sees from the session's events."""

from collections.abc import Iterable, Sequence

from devcli.events import AssistantTurn, Condensation, Event, Observation, UserMessage
from devcli.llm.base import ChatMessage, Role

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


def conversation(system_prompt: str, events: Sequence[Event]) -> list[ChatMessage]:
    """System prompt, then the events as the latest condensation says to show them."""
    system = [ChatMessage(role=Role.SYSTEM, content=system_prompt)]
    latest = next((e for e in reversed(events) if isinstance(e, Condensation)), None)
    if latest is None:
        return system + plain_messages(events)
    first_user = next((e for e in events if isinstance(e, UserMessage) and not e.synthetic), None)
    head = [ChatMessage(role=Role.USER, content=first_user.content)] if first_user else []
    summary = (
        [ChatMessage(role=Role.USER, content=f"{SUMMARY_HEADER}\n\n{latest.summary}")]
        if latest.summary
        else []
    )
    kept = plain_messages(events[latest.first_kept :], frozenset(latest.elided))
    return system + head + summary + kept
