"""OpenHands' text tool-call format, for models tuned on it and servers without native tools.

The model writes `<function=NAME>` then one `<parameter=KEY>value</parameter>` per argument and
`</function>`; generation stops at `</function`, so the closing tag is often missing. Values are
text: the tool's JSON schema says which ones are integers, numbers, booleans or arrays.
"""

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from devcli import json_nesting
from devcli.events import ToolCall
from devcli.llm.backend import Role
from devcli.llm.formats.call_text import ParsedTurn, make_tool_call
from devcli.llm.formats.prompt_renderer import HistoryMessage
from devcli.tool_schema import ToolSchemas

STOP_WORD = "</function"
RESULT_PREFIX = "EXECUTION RESULT of [{name}]:\n"

_FUNCTION_OPEN = re.compile(r"<function\s*=\s*(?P<name>[^>\s]*)\s*>")
_PARAMETER_OPEN = re.compile(r"\s*<parameter\s*=\s*(?P<key>[^>\s]*)\s*>")
_PARAMETER_CLOSE = "</parameter>"
# A closing tag ends a value only where the next thing is another tag or the end of the reply;
# elsewhere it is part of the value (a file that itself contains `</parameter>`).
_AFTER_VALUE = re.compile(r"\s*(?:<parameter\s*=|</function|<function\s*=|\Z)")
_FUNCTION_CLOSE = re.compile(r"\s*</function>?")


def _properties(schemas: ToolSchemas, name: str) -> Mapping[str, Any]:
    for schema in schemas:
        if schema.name == name:
            return schema.function.properties
    return {}


def _declared_types(spec: Any) -> set[str]:
    if not isinstance(spec, Mapping):
        return set()
    kind = spec.get("type")
    found = {kind} if isinstance(kind, str) else set(kind or ())
    for option in spec.get("anyOf", ()) or ():
        found |= _declared_types(option)
    return found


def _typed_value(text: str, spec: Any) -> Any:
    """The value as the schema types it. Text that does not convert stays text, for the tool's
    own validation to report. Without a schema only a JSON array is converted (line ranges)."""
    kinds = _declared_types(spec)
    if not kinds:
        kinds = {"array"} if text.lstrip().startswith("[") else {"string"}
    if "string" in kinds:
        return text
    stripped = text.strip()
    if "integer" in kinds:
        try:
            return int(stripped)
        except ValueError:
            pass
    if "number" in kinds:
        try:
            return float(stripped) if any(c in stripped for c in ".eE") else int(stripped)
        except ValueError:
            pass
    if "boolean" in kinds and stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    if kinds & {"array", "object"}:
        try:
            return json_nesting.loads(stripped)
        except ValueError:  # not JSON, or too deep: the tool's validation reports it
            pass
    return text


def _trim_value(value: str) -> str:
    """Multi-line values are written with a newline after the opening and before the closing
    tag; those two belong to the format, everything else to the value."""
    if value.startswith("\n"):
        value = value[1:]
    if value.endswith("\n"):
        value = value[:-1]
    return value


def _value_end(text: str, start: int) -> tuple[int, int]:
    """Where the value starting at `start` ends, and where reading resumes after it."""
    search = start
    while True:
        close = text.find(_PARAMETER_CLOSE, search)
        if close < 0:
            stop = text.find(STOP_WORD, start)
            end = len(text) if stop < 0 else stop
            return end, end
        after = close + len(_PARAMETER_CLOSE)
        if _AFTER_VALUE.match(text, after):
            return close, after
        search = after


def _read_function(text: str, start: int, name: str, schemas: ToolSchemas) -> tuple[ToolCall, int]:
    properties = _properties(schemas, name)
    arguments: dict[str, Any] = {}
    position = start
    while True:
        opening = _PARAMETER_OPEN.match(text, position)
        if opening is None:
            break
        key = opening["key"]
        end, position = _value_end(text, opening.end())
        arguments[key] = _typed_value(_trim_value(text[opening.end() : end]), properties.get(key))
    closing = _FUNCTION_CLOSE.match(text, position)
    if closing is not None:
        position = closing.end()
    return make_tool_call(name, arguments), position


def parse_openhands(text: str, schemas: ToolSchemas = ()) -> ParsedTurn | None:
    """Every `<function=...>` block of the reply; None when there is none."""
    first = _FUNCTION_OPEN.search(text)
    if first is None:
        return None
    calls: list[ToolCall] = []
    found: re.Match[str] | None = first
    while found is not None:
        call, end = _read_function(text, found.end(), found["name"], schemas)
        calls.append(call)
        found = _FUNCTION_OPEN.search(text, end)
    return ParsedTurn(content=text[: first.start()].strip(), tool_calls=tuple(calls))


def render_call(call: ToolCall) -> str:
    """A call written the way the model is expected to write it."""
    lines = [f"<function={call.name}>"]
    for key, value in call.arguments.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if "\n" in shown:
            shown = f"\n{shown}\n"
        lines.append(f"<parameter={key}>{shown}{_PARAMETER_CLOSE}")
    lines.append("</function>")
    return "\n".join(lines)


def render_result(name: str, content: str) -> str:
    return RESULT_PREFIX.format(name=name) + content


def _describe_parameter(index: int, key: str, spec: Mapping[str, Any], required: bool) -> str:
    kind = spec.get("type", "string")
    status = "required" if required else "optional"
    text = f"  ({index}) {key} ({kind}, {status}): {spec.get('description', '')}".rstrip()
    if "enum" in spec:
        text += "\n      One of: " + ", ".join(f"`{choice}`" for choice in spec["enum"])
    return text


def describe_tools(schemas: ToolSchemas) -> str:
    """Tool descriptions and the calling convention, appended to the system prompt."""
    blocks: list[str] = []
    for number, schema in enumerate(schemas, start=1):
        function = schema.function
        required = set(function.required)
        lines = [
            f"---- FUNCTION {number}: {function.name} ----",
            f"Description: {function.description}",
            "Parameters:",
        ]
        properties = function.properties
        lines += [
            _describe_parameter(index, key, spec, key in required)
            for index, (key, spec) in enumerate(properties.items(), start=1)
        ] or ["  (none)"]
        blocks.append("\n".join(lines))
    example = render_call(
        make_tool_call(
            "function_name", {"first_parameter": "value", "second": "line one\nline two"}
        )
    )
    return (
        "\n\nThese functions are available to you:\n\n"
        + "\n\n".join(blocks)
        + "\n\nTo call a function, end your reply with exactly this shape, nothing after it:\n\n"
        + example
        + "\n\nRules: call one function per reply; give every required parameter; any reasoning "
        "goes before the call, never after it. Without a call, just answer in plain text.\n"
    )


def to_text_conversation(
    messages: Sequence[HistoryMessage], schemas: ToolSchemas
) -> list[HistoryMessage]:
    """The conversation without native tool calls: the tools described in the system prompt,
    calls written into the assistant's text, results sent back as user messages."""
    suffix = describe_tools(schemas) if schemas else ""
    converted: list[HistoryMessage] = []
    for message in messages:
        match message.role:
            case Role.SYSTEM:
                converted.append(message.model_copy(update={"content": message.content + suffix}))
                suffix = ""
            case Role.ASSISTANT:
                parts = [message.content.strip()] + [render_call(c) for c in message.tool_calls]
                converted.append(
                    HistoryMessage(
                        role=Role.ASSISTANT,
                        content="\n".join(part for part in parts if part),
                        generated_ids=message.generated_ids,
                    )
                )
            case Role.TOOL:
                text = render_result(message.name or "tool", message.content)
                converted.append(HistoryMessage(role=Role.USER, content=text))
            case _:
                converted.append(message)
    if suffix:
        converted.insert(0, HistoryMessage(role=Role.SYSTEM, content=suffix.strip()))
    return converted
