"""The names the model sees for server tools: `mcp__<server>__<tool>`.

Mistral's tool format and OpenAI-compatible servers accept names of at most 64 characters
from [A-Za-z0-9_-]; MCP allows more (dots, 128 characters), so names are cleaned, shortened
with a stable hash, and numbered when two would be the same.
"""

import hashlib
import re

MAX_TOOL_NAME = 64
PREFIX = "mcp__"
_HASH_CHARS = 8


def clean(text: str) -> str:
    """Every character outside [A-Za-z0-9_-] becomes `_`."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text) or "_"


def tool_name(server: str, tool: str, taken: set[str]) -> str:
    """A name for `tool` of `server` that is not in `taken` (and is added to it)."""
    name = f"{PREFIX}{clean(server)}__{clean(tool)}"
    if len(name) > MAX_TOOL_NAME:
        digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()[:_HASH_CHARS]
        name = f"{name[: MAX_TOOL_NAME - _HASH_CHARS - 1]}_{digest}"
    unique = name
    number = 2
    while unique in taken:
        suffix = f"_{number}"
        unique = name[: MAX_TOOL_NAME - len(suffix)] + suffix
        number += 1
    taken.add(unique)
    return unique
