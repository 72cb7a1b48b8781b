"""Tool calls written as JSON objects: `{"name": ..., "arguments": {...}}` (Hermes, Qwen) or
`{"name": ..., "parameters": {...}}` (Llama 3.x), as chat templates teach them.

Only the shape is read here; where such objects may stand in a reply is the job of the
format's own reader.
"""

import json
import re
from collections.abc import Mapping
from typing import Any

from devcli.events import ToolCall
from devcli.llm.formats.call_text import make_tool_call, unwrap_arguments

ARGUMENT_KEYS = ("arguments", "parameters")

# The start of an object that can only be a call: a name, then its arguments. Used to tell a
# call cut short (no valid JSON) from prose that merely holds a brace.
CALL_OBJECT_START = re.compile(
    r'\{\s*"name"\s*:\s*"(?P<name>[^"\\]*)"\s*,\s*"(?:arguments|parameters)"\s*:'
)
_NAME_ANYWHERE = re.compile(r'"name"\s*:\s*"(?P<name>[^"\\]*)"')


def is_call_object(value: Any) -> bool:
    """A JSON object naming a function and giving its arguments (under either key)."""
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("name"), str)
        and any(key in value for key in ARGUMENT_KEYS)
    )


def call_from_object(value: Mapping[str, Any]) -> ToolCall:
    """The call an object describes. Arguments that are not a JSON object are kept as raw
    text, so the model is told its call was malformed instead of it being run with nothing."""
    name = str(value.get("name", ""))
    raw: Any = next((value[key] for key in ARGUMENT_KEYS if key in value), {})
    arguments = unwrap_arguments(raw)
    call_id = value.get("id") if isinstance(value.get("id"), str) else None
    if isinstance(arguments, dict):
        return make_tool_call(name, arguments, call_id)
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return make_tool_call(name, {}, call_id).model_copy(
        update={"arguments": {}, "raw_arguments": text}
    )


def broken_call(text: str) -> ToolCall:
    """A call whose JSON could not be read; the name is recovered when the text shows it."""
    found = _NAME_ANYWHERE.search(text)
    raw = text.strip()
    call = make_tool_call(found["name"] if found else "", {})
    return call.model_copy(update={"raw_arguments": raw})
