"""What the loop needs from a model backend: the next assistant turn for a conversation."""

import threading
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from devcli.events import AssistantTurn, ToolCall
from devcli.notices import NoticeSink
from devcli.tool_schema import ToolSchemas

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
    # Paths of images that go with the message: a user's, or those a tool returned. Only a
    # backend that takes images sends them; the others see the text alone.
    images: tuple[str, ...] = ()


class BackendError(RuntimeError):
    """The model could not produce a turn; the message is for the user."""


class ImageError(ValueError):
    """An image that cannot be attached; the message names the file."""


class BackendStartError(RuntimeError):
    """The backend could not be started for a reason that is not the configuration (a native
    crash of the runtime); `devcli run` exits 4 with the message."""


class TurnCancelled(BaseException):
    """Stops the running turn as Ctrl-C does, for front ends without a terminal (ACP).

    A BaseException, like KeyboardInterrupt, so that no `except Exception` on the way (a
    backend's retries, a tool) mistakes it for a failure of its own.
    """


class ContextOverflowError(BackendError):
    """The prompt did not fit the model's context window (as the server reported)."""


class Backend(Protocol):
    """A model to talk to, and what it declares about itself."""

    kind: str  # "local", "remote" or "replay"
    model_name: str
    # Images can go with the task (a vision model behind a server).
    accepts_images: bool
    # Where the backend sends notices while it works (retries, fallbacks, warnings).
    notices: NoticeSink
    # A reasoning model's thoughts as they arrive (not part of the reply).
    on_reasoning: TextSink | None

    @property
    def context_window(self) -> int | None:
        """The window the model runs with, in tokens; None when it is not known."""
        ...

    def count_prompt_tokens(self, messages: list[ChatMessage], tools: ToolSchemas) -> int | None:
        """The prompt's exact size with the model's own tokenizer; None when the backend can
        only learn it from the server's answer."""
        ...

    def attach_images(self, paths: Sequence[Path]) -> None:
        """Send these images with the task. Raises ImageError when they cannot go."""
        ...

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: ToolSchemas,
        on_text: TextSink | None = None,
        stop: threading.Event | None = None,
    ) -> AssistantTurn:
        """The model's next turn. Once `stop` is set, generation ends within a token or a
        streamed chunk and TurnCancelled is raised."""
        ...

    def close(self) -> None: ...
