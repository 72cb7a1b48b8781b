"""Assembling one assistant turn from a server's answer, streamed in chunks or whole.

Servers differ: tool-call deltas may interleave by index, split arguments at any byte, reuse
index 0 for every call, or omit the index; reasoning arrives as `reasoning_content`,
`reasoning` or Mistral "thinking" content parts; and some servers return the calls as text in
`content`, which is read back with the same parsers as local models.
"""

import json
import threading
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from devcli import json_nesting
from devcli.events import AssistantTurn, ToolCall, Usage
from devcli.llm.backend import TextSink, TurnCancelled
from devcli.llm.formats.call_text import HeldBackText, make_tool_call
from devcli.llm.formats.text_calls import parse_text_tool_calls
from devcli.llm.retry import StreamBroken
from devcli.tool_schema import ToolSchemas

# Text from one of these on is a tool call written as text: it is parsed, not shown.


class EmptyStream(StreamBroken):
    """The server closed the stream without sending a single chunk."""


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _FunctionDelta(_Lenient):
    name: str | None = None
    arguments: str | dict[str, Any] | None = None


class _ToolCallDelta(_Lenient):
    index: int | None = None
    id: str | None = None
    function: _FunctionDelta | None = None


class _Delta(_Lenient):
    content: str | list[Any] | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    tool_calls: list[_ToolCallDelta] | None = None


class _Choice(_Lenient):
    delta: _Delta | None = None
    message: _Delta | None = None
    finish_reason: str | None = None


class _UsageFields(_Lenient):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class _Chunk(_Lenient):
    choices: list[_Choice] | None = None
    usage: _UsageFields | None = None


class _PendingCall:
    def __init__(self, call_id: str | None) -> None:
        self.id = call_id
        self.name = ""
        self.arguments: list[str] = []

    def complete(self) -> bool:
        """Named, with arguments that already form a JSON value."""
        try:
            json_nesting.loads("".join(self.arguments) or "x")
        except ValueError:  # not JSON yet, or too deep to be arguments
            return False
        return bool(self.name)

    def to_tool_call(self) -> ToolCall:
        return make_tool_call(self.name, "".join(self.arguments), self.id)


class _TextRelay:
    """Shows answer text as it comes, holding back what may be the start of a text tool call."""

    def __init__(self, sink: TextSink | None) -> None:
        self.sink = sink
        self._held = HeldBackText()

    def feed(self, text: str) -> None:
        if self.sink is not None:
            self._emit(self._held.feed(text))

    def flush(self) -> None:
        if self.sink is not None:
            self._emit(self._held.flush())

    def _emit(self, text: str) -> None:
        if text and self.sink is not None:
            self.sink(text)


class TurnAssembler:
    def __init__(
        self,
        on_text: TextSink | None = None,
        on_reasoning: TextSink | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self._relay = _TextRelay(on_text)
        self._stop = stop
        self._on_reasoning = on_reasoning
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._calls: list[_PendingCall] = []
        self._by_index: dict[int, _PendingCall] = {}
        self._usage = Usage()
        self.chunks = 0
        self.finish_reason: str | None = None

    def add_chunk(self, data: Mapping[str, Any]) -> None:
        """One streamed chunk, as the JSON object the server sent. Raises TurnCancelled once
        the turn is cancelled: the caller closes the stream, and the server stops."""
        if self._stop is not None and self._stop.is_set():
            raise TurnCancelled
        chunk = self._validated(data)
        self.chunks += 1
        self._take_usage(chunk.usage)
        for choice in (chunk.choices or [])[:1]:
            if choice.delta is not None:
                self._take_delta(choice.delta)
            self.finish_reason = choice.finish_reason or self.finish_reason

    def add_response(self, data: Mapping[str, Any]) -> None:
        """A whole, non-streamed answer."""
        chunk = self._validated(data)
        self.chunks += 1
        self._take_usage(chunk.usage)
        for choice in (chunk.choices or [])[:1]:
            if choice.message is not None:
                self._take_delta(choice.message)
            self.finish_reason = choice.finish_reason or "stop"

    def turn(self, tool_names: Collection[str], schemas: ToolSchemas = ()) -> AssistantTurn:
        self._relay.flush()
        content = "".join(self._text).strip()
        calls = tuple(call.to_tool_call() for call in self._calls if call.name or call.arguments)
        if not calls and content:
            parsed = parse_text_tool_calls(content, tool_names, schemas=schemas)
            if parsed is not None and parsed.tool_calls:
                content, calls = parsed.content, parsed.tool_calls
        return AssistantTurn(
            content=content,
            tool_calls=calls,
            usage=self._usage,
            reasoning="".join(self._reasoning).strip() or None,
        )

    @staticmethod
    def _validated(data: Mapping[str, Any]) -> _Chunk:
        try:
            return _Chunk.model_validate(data)
        except ValidationError as exc:
            raise StreamBroken(f"the server sent a chunk of an unexpected shape ({exc})") from exc

    def _take_usage(self, usage: _UsageFields | None) -> None:
        if usage is not None and (usage.prompt_tokens or usage.completion_tokens):
            self._usage = Usage(
                prompt_tokens=usage.prompt_tokens or 0,
                completion_tokens=usage.completion_tokens or 0,
            )

    def _take_delta(self, delta: _Delta) -> None:
        for reasoning in (delta.reasoning_content, delta.reasoning):
            if reasoning:
                self._think(reasoning)
        if isinstance(delta.content, str):
            self._say(delta.content)
        elif isinstance(delta.content, list):
            for part in delta.content:
                self._take_part(part)
        for call_delta in delta.tool_calls or []:
            self._take_call(call_delta)

    def _take_part(self, part: Any) -> None:
        """A content part: `{"type": "text"}` or Mistral's `{"type": "thinking"}`."""
        if isinstance(part, str):
            self._say(part)
        elif isinstance(part, Mapping) and part.get("type") == "text":
            self._say(str(part.get("text") or ""))
        elif isinstance(part, Mapping) and part.get("type") == "thinking":
            inner = part.get("thinking")
            pieces = inner if isinstance(inner, list) else [inner]
            for piece in pieces:
                text = piece.get("text") if isinstance(piece, Mapping) else piece
                if isinstance(text, str):
                    self._think(text)

    def _say(self, text: str) -> None:
        if text:
            self._text.append(text)
            self._relay.feed(text)

    def _think(self, text: str) -> None:
        self._reasoning.append(text)
        if self._on_reasoning is not None:
            self._on_reasoning(text)

    def _take_call(self, delta: _ToolCallDelta) -> None:
        call = self._call_for(delta)
        function = delta.function or _FunctionDelta()
        if function.name:
            if not call.name:
                call.name = function.name
            elif function.name != call.name:
                call.name += function.name
        if isinstance(function.arguments, dict):
            try:
                call.arguments.append(json.dumps(function.arguments, ensure_ascii=False))
            except (RecursionError, ValueError):
                call.arguments.append(json_nesting.TOO_DEEP_TEXT)
        elif function.arguments:
            call.arguments.append(function.arguments)

    def _call_for(self, delta: _ToolCallDelta) -> _PendingCall:
        """The call this delta continues, or a new one."""
        current = (
            self._by_index.get(delta.index)
            if delta.index is not None
            else (self._calls[-1] if self._calls else None)
        )
        starts_new = current is None or (
            delta.id is not None
            and current.id is not None
            and delta.id != current.id
            and current.complete()
        )
        if current is not None and not starts_new:
            if current.id is None and delta.id:
                current.id = delta.id
            return current
        call = _PendingCall(delta.id)
        self._calls.append(call)
        if delta.index is not None:
            self._by_index[delta.index] = call
        return call
