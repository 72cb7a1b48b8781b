"""Text from models, files and commands made safe to store and print.

Python strings may hold lone surrogates (a JSON escape such as `\\ud800`, a file name that is
not UTF-8); UTF-8 cannot encode them, so writing such text to a session file or a terminal
fails. Every string that enters an event passes through `scrub`, which replaces each one with
U+FFFD, the Unicode replacement character.
"""

import re
from collections.abc import Callable
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (the same object when it has none)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(REPLACEMENT, text)
    return text


def scrub_data(value: Any) -> Any:
    """JSON-like data with every string (keys included) scrubbed; unchanged data comes back as
    the same object. Nesting must already be bounded (see `json_nesting`)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        items = [(scrub(str(key)), scrub_data(item)) for key, item in value.items()]
        if all(
            k is key and v is item for (k, v), (key, item) in zip(items, value.items(), strict=True)
        ):
            return value
        return dict(items)
    if isinstance(value, list | tuple):
        cleaned = [scrub_data(item) for item in value]
        if all(new is old for new, old in zip(cleaned, value, strict=True)):
            return value
        return cleaned if isinstance(value, list) else tuple(cleaned)
    return value


def scrubbing(sink: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """A text sink (streamed model text on its way to a terminal) that only sees scrubbed text."""
    if sink is None:
        return None
    target = sink

    def scrubbed(text: str) -> None:
        target(scrub(text))

    return scrubbed
