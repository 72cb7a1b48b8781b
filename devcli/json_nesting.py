"""Reading JSON from untrusted text with a bound on how deeply it nests.

Python's JSON decoder recurses once per level and raises RecursionError somewhere past about
a thousand levels; pydantic refuses more than a few hundred when it reads or writes a session
file. Tool arguments never need more than a handful, so anything deeper than MAX_NESTING is
refused, the same way whatever reads it.
"""

import json
from typing import Any

MAX_NESTING = 100  # levels of arrays and objects, counted from the outermost
# A whole recorded line around the arguments (turn, call list, call): what json.loads can still
# read safely, so that arguments too deep become an error the model reads, not a refused file.
MAX_LINE_NESTING = 400
# Kept in place of arguments too deep even to write out as text.
TOO_DEEP_TEXT = f"[arguments nested deeper than {MAX_NESTING} levels]"

_DECODER = json.JSONDecoder()


class TooDeep(ValueError):
    """JSON nested deeper than MAX_NESTING levels."""

    def __init__(self, limit: int = MAX_NESTING) -> None:
        super().__init__(f"it is nested deeper than {limit} levels")


def value_exceeds(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether decoded data nests deeper than `limit` (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth + 1 > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def loads(text: str, limit: int = MAX_NESTING) -> Any:
    """json.loads that raises TooDeep (a ValueError) for values nested deeper than `limit`.

    The decoder gives up with RecursionError long before the stack is at risk (past about a
    thousand levels); shallower excess is found by walking the decoded value.
    """
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise TooDeep(limit) from exc
    if value_exceeds(value, limit):
        raise TooDeep(limit)
    return value


def decode_at(text: str, start: int) -> tuple[Any, int]:
    """The JSON value starting exactly at `start` and the index just past it.

    Raises json.JSONDecodeError for text that is not JSON there, TooDeep for a value nested
    deeper than MAX_NESTING.
    """
    try:
        value, end = _DECODER.raw_decode(text, start)
    except RecursionError as exc:
        raise TooDeep from exc
    if value_exceeds(value):
        raise TooDeep
    return value, end
