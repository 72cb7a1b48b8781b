"""Turning a model's argument text into a ToolCall, keeping text that is not valid JSON."""

import json
from typing import Any

from devcli import json_nesting
from devcli.events import ToolCall
from devcli.ids import is_valid_tool_call_id, new_tool_call_id


def make_tool_call(
    name: str, arguments: str | dict[str, Any] | None, call_id: str | None = None
) -> ToolCall:
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
