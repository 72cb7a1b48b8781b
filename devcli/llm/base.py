"""What the loop needs from a model backend: the next assistant turn for a conversation."""

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from devcli.events import AssistantTurn, ToolCall

TextSink = Callable[[str], None]


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


class BackendError(RuntimeError):
    """The model could not produce a turn; the message is for the user."""


class BackendStartError(RuntimeError):
    """The backend could not be started for a reason that is not the configuration (a native
    crash of the runtime); `devcli run` exits 4 with the message."""


class ContextOverflowError(BackendError):
    """The prompt did not fit the model's context window (as the server reported)."""


class Backend(Protocol):
    kind: str  # "local", "remote" or "replay"
    model_name: str

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]],
        on_text: TextSink | None = None,
    ) -> AssistantTurn: ...

    def close(self) -> None: ...
