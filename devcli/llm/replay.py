"""A backend that plays back recorded assistant turns: reproducible sessions, tests, demos."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from devcli.events import AssistantTurn
from devcli.llm.backend import BackendError, ChatMessage, ImageError, TextSink
from devcli.llm.formats.call_text import make_tool_call
from devcli.notices import NoticeSink, publish
from devcli.tool_schema import ToolSchemas


class ReplayFileError(ValueError):
    """The replay file cannot be read; the message names the line."""


class _RecordedCall(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    arguments: dict[str, Any] | str | None = None
    raw_arguments: str | None = None
    id: str | None = None


class _RecordedTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    content: str | None = ""
    tool_calls: list[_RecordedCall] = []


def load_turns(path: Path) -> list[AssistantTurn]:
    """Assistant turns from a session file, or from plain `{"content", "tool_calls"}` lines."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayFileError(f"cannot read {path}: {exc}") from exc
    turns: list[AssistantTurn] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("each line must be a JSON object")
            kind = data.get("type")
            if kind is not None and kind != "assistant":
                continue  # another event of a session file
            recorded = _RecordedTurn.model_validate(data)
        except (ValueError, ValidationError) as exc:
            raise ReplayFileError(f"{path}:{number}: not a recorded turn ({exc})") from exc
        calls = tuple(
            make_tool_call(
                call.name,
                call.raw_arguments if call.raw_arguments is not None else call.arguments,
                call.id,
            )
            for call in recorded.tool_calls
        )
        turns.append(AssistantTurn(content=recorded.content or "", tool_calls=calls))
    if not turns:
        raise ReplayFileError(f"{path} holds no assistant turns")
    return turns


class ReplayBackend:
    kind = "replay"
    accepts_images = False
    context_window: int | None = None  # the recorded model's is not known
    on_reasoning: TextSink | None = None

    def __init__(self, turns: list[AssistantTurn], model_name: str = "replay") -> None:
        self._turns = list(turns)
        self._next = 0
        self.model_name = model_name
        self.notices: NoticeSink = publish

    def count_prompt_tokens(self, messages: list[ChatMessage], tools: ToolSchemas) -> int | None:
        return None

    def attach_images(self, paths: Sequence[Path]) -> None:
        raise ImageError("a replay takes no images")

    @classmethod
    def from_file(cls, path: Path) -> "ReplayBackend":
        return cls(load_turns(path), model_name=f"replay:{path.name}")

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: ToolSchemas,
        on_text: TextSink | None = None,
    ) -> AssistantTurn:
        if self._next >= len(self._turns):
            raise BackendError(
                f"The replay has no more recorded turns (all {len(self._turns)} were played)."
            )
        turn = self._turns[self._next]
        self._next += 1
        if on_text is not None and turn.content:
            on_text(turn.content)
        return turn

    def close(self) -> None:
        pass
