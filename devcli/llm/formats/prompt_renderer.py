"""The conversation as a prompt builder sees it: chat messages, and for assistant turns that
were generated here, the exact tokens the model produced."""

from collections.abc import Sequence
from typing import Protocol

from devcli.llm.backend import ChatMessage
from devcli.tool_schema import ToolSchemas


class PromptError(ValueError):
    """The conversation cannot be written as a prompt; the message is for the user."""


class HistoryMessage(ChatMessage):
    # Re-using these tokens keeps the history token-identical to what the model wrote, so the
    # KV cache of the previous turn stays valid (re-encoding may space JSON differently).
    generated_ids: tuple[int, ...] | None = None


class PromptRenderer(Protocol):
    """Writes a conversation as prompt tokens."""

    description: str

    def encode(self, messages: Sequence[HistoryMessage], tools: ToolSchemas) -> list[int]: ...
