"""Rebuilds the messages a model sees from the session's events."""

from collections.abc import Iterable

from devcli.events import AssistantTurn, Event, Observation, UserMessage
from devcli.llm.base import ChatMessage, Role


def conversation(system_prompt: str, events: Iterable[Event]) -> list[ChatMessage]:
    messages = [ChatMessage(role=Role.SYSTEM, content=system_prompt)]
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
                messages.append(
                    ChatMessage(
                        role=Role.TOOL,
                        content=event.content,
                        tool_call_id=event.tool_call_id,
                        name=event.name,
                    )
                )
    return messages
