"""Reading one JSON value out of a longer text, so braces inside strings never confuse a parser."""

import json
from typing import Any

_DECODER = json.JSONDecoder()


def skip_space(text: str, start: int) -> int:
    while start < len(text) and text[start].isspace():
        start += 1
    return start


def decode_value_at(text: str, start: int) -> tuple[Any, int] | None:
    """The JSON value starting at `start` (after any whitespace) and the index just past it."""
    start = skip_space(text, start)
    try:
        return _DECODER.raw_decode(text, start)
    except json.JSONDecodeError:
        return None


def unwrap_arguments(value: Any) -> Any:
    """Arguments sent as a JSON string holding an object are read as that object."""
    if isinstance(value, str):
        try:
            inner = json.loads(value)
        except json.JSONDecodeError:
            return value
        if isinstance(inner, dict):
            return inner
    return value
