"""Turning a model's argument text into a ToolCall, keeping text that is not valid JSON."""

import json
from typing import Any

from devcli.events import ToolCall
from devcli.ids import is_valid_tool_call_id, new_tool_call_id


def make_tool_call(
    name: str, arguments: str | dict[str, Any] | None, call_id: str | None = None
) -> ToolCall:
    call_id = call_id if call_id and is_valid_tool_call_id(call_id) else new_tool_call_id()
    if isinstance(arguments, dict):
        return ToolCall(id=call_id, name=name, arguments=arguments)
    text = (arguments or "").strip() or "{}"
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return ToolCall(id=call_id, name=name, raw_arguments=text)
    if not isinstance(parsed, dict):
        return ToolCall(id=call_id, name=name, raw_arguments=text)
    return ToolCall(id=call_id, name=name, arguments=parsed)
