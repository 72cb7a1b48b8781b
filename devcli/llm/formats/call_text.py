"""Reading tool calls out of model text: the parsed reply, the JSON scanner that never trips
on braces inside strings, turning argument text into a call (with a repaired id), the strings
that open a call, and the streamer that holds back what may be the start of one."""

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from devcli import json_nesting
from devcli.events import ToolCall
from devcli.ids import is_valid_tool_call_id, new_tool_call_id

MISTRAL_OPENER = "[TOOL_CALLS]"  # Mistral's control token, as a template renders it in text
OPENHANDS_OPENER = "<function="  # OpenHands' text format
HERMES_OPENER = "<tool_call>"  # Hermes/Qwen templates: a JSON call between tags
HERMES_CLOSER = "</tool_call>"
PYTHON_TAG = "<|python_tag|>"  # Llama 3.x, before a JSON call
CALL_OPENERS = (MISTRAL_OPENER, OPENHANDS_OPENER, HERMES_OPENER, PYTHON_TAG)

_SPACE = re.compile(r"\s*")


class ParsedTurn(BaseModel):
    """One assistant reply, read: its prose and the tool calls it made."""

    model_config = ConfigDict(frozen=True)

    content: str
    tool_calls: tuple[ToolCall, ...]


def skip_space(text: str, start: int) -> int:
    found = _SPACE.match(text, start)
    return found.end() if found is not None else start


def decode_value_at(text: str, start: int) -> tuple[Any, int] | None:
    """The JSON value starting at `start` (after any whitespace) and the index just past it;
    None when there is none, or when it nests deeper than json_nesting allows."""
    start = skip_space(text, start)
    try:
        return json_nesting.decode_at(text, start)
    except ValueError:  # not JSON, or too deep
        return None


def unwrap_arguments(value: Any) -> Any:
    """Arguments sent as a JSON string holding an object are read as that object."""
    if isinstance(value, str):
        try:
            inner = json_nesting.loads(value)
        except ValueError:  # not JSON, or too deep
            return value
        if isinstance(inner, dict):
            return inner
    return value


def make_tool_call(
    name: str, arguments: str | dict[str, Any] | None, call_id: str | None = None
) -> ToolCall:
    """A call from the model's argument text; text that is not a JSON object is kept in
    `raw_arguments` (the model is told, and it never reaches a server's history)."""
    call_id = call_id if call_id and is_valid_tool_call_id(call_id) else new_tool_call_id()
    if isinstance(arguments, dict):
        if json_nesting.value_exceeds(arguments):
            return ToolCall(id=call_id, name=name, raw_arguments=_as_text(arguments))
        return ToolCall(id=call_id, name=name, arguments=arguments)
    text = (arguments or "").strip() or "{}"
    try:
        parsed = json_nesting.loads(text)
    except ValueError:  # not JSON, or nested too deeply
        return ToolCall(id=call_id, name=name, raw_arguments=text)
    if not isinstance(parsed, dict):
        return ToolCall(id=call_id, name=name, raw_arguments=text)
    return ToolCall(id=call_id, name=name, arguments=parsed)


def _as_text(arguments: dict[str, Any]) -> str:
    """Arguments refused for their nesting, kept as text for the record."""
    try:
        return json.dumps(arguments, ensure_ascii=False)
    except (RecursionError, ValueError, TypeError):
        return json_nesting.TOO_DEEP_TEXT


class HeldBackText:
    """Streams prose and stops at the first call opener. A tail that could be the start of an
    opener is held back until more text settles it, so no half marker is ever shown."""

    def __init__(self, openers: Sequence[str] = CALL_OPENERS) -> None:
        self.openers = tuple(openers)
        self.text = ""
        self.shown = 0
        self.in_call = False

    def feed(self, more: str) -> str:
        """Add text; returns what may be shown now."""
        self.text += more
        return self._visible(final=False)

    def flush(self) -> str:
        """The text is complete: what was held back and is not a call may be shown."""
        return self._visible(final=True)

    def _visible(self, final: bool) -> str:
        if self.in_call:
            return ""
        limit = len(self.text)
        for opener in self.openers:
            at = self.text.find(opener, max(0, self.shown - len(opener)))
            if at >= 0:
                limit = min(limit, at)
                self.in_call = True
        if not self.in_call and not final:
            limit = min(limit, self._safe_end())
        start, self.shown = self.shown, max(self.shown, limit)
        return self.text[start : self.shown]

    def _safe_end(self) -> int:
        """The end of the text that cannot be the beginning of an opener."""
        longest = max(map(len, self.openers), default=0)
        for length in range(min(len(self.text), longest), 0, -1):
            tail = self.text[-length:]
            if any(opener.startswith(tail) for opener in self.openers):
                return len(self.text) - length
        return len(self.text)
