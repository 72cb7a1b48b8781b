"""Tool calls written as bare JSON objects at the end of a reply:

    {"name": "execute_bash", "parameters": {"command": "ls"}}

This is what Llama 3.x templates teach (`parameters`, sometimes after `<|python_tag|>`), and
what a server leaves of a Hermes-style call once it dropped the `<tool_call>` tags
(`arguments`). Several objects may follow each other (separated by spaces, newlines or `;`),
or come as one JSON list. Prose may come before them, never after: an object in the middle of
a sentence is an example, not a call.
"""

import re

from devcli.events import ToolCall
from devcli.llm.formats.call_text import PYTHON_TAG, ParsedTurn, decode_value_at, skip_space
from devcli.llm.formats.hermes_calls import strip_end_markers
from devcli.llm.formats.json_call_objects import (
    CALL_OBJECT_START,
    broken_call,
    call_from_object,
    is_call_object,
)

_CANDIDATE = re.compile(r'(?:<\|python_tag\|>\s*)?(?:\{\s*"name"|\[\s*\{\s*"name")')
_SEPARATORS = re.compile(r"[\s;,]*")


def _after_tag(text: str, position: int) -> int:
    """Past a `<|python_tag|>` (and the space after it) at `position`, if there is one."""
    if text.startswith(PYTHON_TAG, position):
        return skip_space(text, position + len(PYTHON_TAG))
    return position


def calls_to_end(text: str, start: int) -> tuple[ToolCall, ...] | None:
    """Calls back to back from `start` to the end of the reply, or None if anything else
    follows them. A call cut short at the very end is kept, with its raw text."""
    calls: list[ToolCall] = []
    position = start
    while True:
        separators = _SEPARATORS.match(text, position)
        position = separators.end() if separators else position
        if not strip_end_markers(text[position:]):
            return tuple(calls) if calls else None
        body = _after_tag(text, position)
        decoded = decode_value_at(text, body)
        if decoded is None:
            if CALL_OBJECT_START.match(text, skip_space(text, body)):
                calls.append(broken_call(strip_end_markers(text[body:])))
                return tuple(calls)
            return None
        value, position = decoded
        items = value if isinstance(value, list) else [value]
        if not items or not all(is_call_object(item) for item in items):
            return None
        calls.extend(call_from_object(item) for item in items)


def parse_bare_json_calls(text: str) -> ParsedTurn | None:
    """The calls ending `text`, or None when it does not end with call objects."""
    for candidate in _CANDIDATE.finditer(text):
        calls = calls_to_end(text, candidate.start())
        if calls is not None:
            content = text[: candidate.start()].strip()
            return ParsedTurn(content=content, tool_calls=calls)
    return None
