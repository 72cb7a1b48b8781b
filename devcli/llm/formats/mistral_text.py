"""Reading Mistral tool calls out of reply text, with or without their control tokens.

Shapes understood:
- v11/v13: `[TOOL_CALLS]name[ARGS]{...}`, repeated for several calls, with `[CALL_ID]id` in v11;
- v3/v7: `[TOOL_CALLS][{"name": ..., "arguments": {...}, "id": ...}, ...]`, prefix optional;
- what servers leave once they drop control tokens: `name{...}` or `name[ARGS]{...}`.
Argument objects are read with a JSON decoder, never by matching braces, so values may hold
`}`, `[ARGS]` or anything else.
"""

import json
import re
from collections.abc import Collection
from typing import Any

from devcli.events import ToolCall
from devcli.llm.formats.call_text import (
    MISTRAL_OPENER,
    ParsedTurn,
    decode_value_at,
    make_tool_call,
    skip_space,
    unwrap_arguments,
)

TOOL_CALLS = MISTRAL_OPENER
ARGS = "[ARGS]"
CALL_ID = "[CALL_ID]"
END_OF_TURN = "</s>"

_NAMED_CALL = re.compile(
    r"\s*(?P<name>[^\s\[\]{}]*)\s*(?:\[CALL_ID\]\s*(?P<id>[^\s\[\]{}]*)\s*)?(?P<args>\[ARGS\])?"
)
_NAME_IN_JSON = re.compile(r'"name"\s*:\s*"(?P<name>[^"\\]*)"')
_CALL_LIST_START = re.compile(r'\[\s*\{\s*"(?:name|id)"\s*:')


def _without_end_marker(text: str) -> str:
    text = text.strip()
    while text.endswith(END_OF_TURN):
        text = text[: -len(END_OF_TURN)].rstrip()
    return text


def unparsed_call(name: str, raw: str, call_id: str | None = None) -> ToolCall:
    """A call whose arguments are not a JSON object; the raw text goes back to the model."""
    if raw:
        return make_tool_call(name, raw, call_id)
    return make_tool_call(name, {}, call_id).model_copy(update={"raw_arguments": ""})


def call_from_arguments(name: str, text: str, call_id: str | None = None) -> ToolCall:
    """A call from its name and the text that should hold its JSON object of arguments."""
    decoded = decode_value_at(text, 0)
    if decoded is not None:
        value = unwrap_arguments(decoded[0])
        if isinstance(value, dict) and not _without_end_marker(text[decoded[1] :]):
            return make_tool_call(name, value, call_id)
    return unparsed_call(name, _without_end_marker(text), call_id)


def _call_from_item(item: Any) -> ToolCall:
    """One entry of a v3/v7 call list."""
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        name = str(item.get("name", "")) if isinstance(item, dict) else ""
        return make_tool_call(name, json.dumps(item, ensure_ascii=False))
    arguments = unwrap_arguments(item.get("arguments", {}))
    if not isinstance(arguments, dict | str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    raw_id = item.get("id")
    return make_tool_call(item["name"], arguments, raw_id if isinstance(raw_id, str) else None)


def _read_call_list(text: str, start: int) -> tuple[list[ToolCall], int]:
    """A v3/v7 list (or a lone object) at `start`; a broken list becomes one call to report."""
    decoded = decode_value_at(text, start)
    if decoded is not None:
        value, end = decoded
        items = value if isinstance(value, list) else [value]
        if items and all(isinstance(item, dict) for item in items):
            return [_call_from_item(item) for item in items], end
    rest = text[start:]
    cut = rest.find(TOOL_CALLS)
    raw = _without_end_marker(rest if cut < 0 else rest[:cut])
    found = _NAME_IN_JSON.search(raw)
    return [make_tool_call(found["name"] if found else "", raw)], start + len(rest)


def _read_named_call(text: str, start: int) -> tuple[ToolCall, int]:
    """`name[CALL_ID]id[ARGS]{...}` at `start` (just after a `[TOOL_CALLS]`)."""
    head = _NAMED_CALL.match(text, start)
    assert head is not None  # every part of the pattern is optional
    name, call_id = head["name"], head["id"]
    after_head = head.end()
    decoded = decode_value_at(text, after_head)
    if decoded is not None:
        value, end = decoded
        value = unwrap_arguments(value)
        if isinstance(value, dict):
            return make_tool_call(name, value, call_id), end
    cut = text.find(TOOL_CALLS, after_head)
    stop = len(text) if cut < 0 else cut
    return unparsed_call(name, _without_end_marker(text[after_head:stop]), call_id), stop


def parse_marked_calls(text: str) -> ParsedTurn | None:
    """Calls introduced by `[TOOL_CALLS]`; None when the marker is absent."""
    first = text.find(TOOL_CALLS)
    if first < 0:
        return None
    calls: list[ToolCall] = []
    position = first
    while position >= 0:
        body = position + len(TOOL_CALLS)
        opening = skip_space(text, body)
        if text.startswith("[", opening) and not text.startswith((ARGS, CALL_ID), opening):
            listed, end = _read_call_list(text, opening)
            calls.extend(listed)
        else:
            call, end = _read_named_call(text, body)
            calls.append(call)
        position = text.find(TOOL_CALLS, end)
    return ParsedTurn(content=text[:first].strip(), tool_calls=tuple(calls))


def parse_call_list_tail(text: str) -> ParsedTurn | None:
    """A v3/v7 call list without its prefix, ending the reply."""
    for found in _CALL_LIST_START.finditer(text):
        decoded = decode_value_at(text, found.start())
        if decoded is None:
            continue
        value, end = decoded
        if _without_end_marker(text[end:]):
            continue
        if not (isinstance(value, list) and value):
            continue
        if not all(isinstance(item, dict) and "name" in item for item in value):
            continue
        calls = tuple(_call_from_item(item) for item in value)
        return ParsedTurn(content=text[: found.start()].strip(), tool_calls=calls)
    return None


def _bare_call_pattern(tool_names: Collection[str]) -> re.Pattern[str]:
    known = "|".join(re.escape(name) for name in sorted(tool_names, key=len, reverse=True))
    # A known name may be followed directly by its object; any name may precede `[ARGS]`.
    alternatives = [r"(?P<any>[A-Za-z_][\w.-]*)(?:\[CALL_ID\](?P<any_id>\w+))?\[ARGS\]\s*"]
    if known:
        alternatives.insert(
            0, rf"(?P<known>{known})(?:\[CALL_ID\](?P<known_id>\w+))?(?:\[ARGS\]\s*)?(?=\{{)"
        )
    return re.compile(r"(?<![\w.-])(?:" + "|".join(alternatives) + ")")


def _bare_calls_from(
    text: str, start: int, pattern: re.Pattern[str]
) -> tuple[ToolCall, ...] | None:
    """Calls back to back from `start` to the end of the text, or None if prose follows."""
    calls: list[ToolCall] = []
    position = start
    while True:
        head = pattern.match(text, position)
        if head is None:
            break
        name = head["known"] or head["any"]
        call_id = head["known_id"] or head["any_id"]
        decoded = decode_value_at(text, head.end())
        if decoded is not None and isinstance(unwrap_arguments(decoded[0]), dict):
            calls.append(make_tool_call(name, unwrap_arguments(decoded[0]), call_id))
            position = skip_space(text, decoded[1])
            continue
        following = pattern.search(text, head.end())
        stop = len(text) if following is None else following.start()
        calls.append(unparsed_call(name, _without_end_marker(text[head.end() : stop]), call_id))
        position = stop
    if not calls or _without_end_marker(text[position:]):
        return None
    return tuple(calls)


def parse_bare_calls(text: str, tool_names: Collection[str]) -> ParsedTurn | None:
    """Calls whose control tokens a server stripped: `name{...}` or `name[ARGS]{...}`."""
    pattern = _bare_call_pattern(tool_names)
    for found in pattern.finditer(text):
        calls = _bare_calls_from(text, found.start(), pattern)
        if calls is not None:
            return ParsedTurn(content=text[: found.start()].strip(), tool_calls=calls)
    return None
