"""Reading one JSON value out of a longer text, so braces inside strings never confuse a parser."""

import re
from typing import Any

from devcli import json_nesting

_SPACE = re.compile(r"\s*")


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
