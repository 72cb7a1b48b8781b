"""Hermes-style tool calls, as Qwen, Hermes and many other chat templates teach them:

    <tool_call>
    {"name": "execute_bash", "arguments": {"command": "ls"}}
    </tool_call>

Several blocks may follow each other; the closing tag of the last one may be missing (a reply
cut short). A block may also hold a JSON list of calls, or the XML-like `<function=...>` body
some templates put inside the tags. Prose outside the blocks is the reply's content.
"""

from collections.abc import Mapping
from typing import Any

from devcli.events import ToolCall
from devcli.llm.formats.call_text import (
    HERMES_CLOSER,
    HERMES_OPENER,
    ParsedTurn,
    decode_value_at,
    skip_space,
)
from devcli.llm.formats.json_call_objects import broken_call, call_from_object
from devcli.llm.formats.openhands_text import parse_openhands
from devcli.tool_schema import ToolSchemas

OPENING = HERMES_OPENER
CLOSING = HERMES_CLOSER
# What a template writes after a turn; a server or a decoder may leave it in the text.
END_MARKERS = ("<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|endoftext|>", "</s>")


def strip_end_markers(text: str) -> str:
    text = text.strip()
    stripped = True
    while stripped:
        stripped = False
        for marker in END_MARKERS:
            if text.endswith(marker):
                text = text[: -len(marker)].rstrip()
                stripped = True
    return text


def _calls_in_value(value: Any, text: str) -> list[ToolCall]:
    items = value if isinstance(value, list) and value else [value]
    calls: list[ToolCall] = []
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            calls.append(call_from_object(item))
        else:
            calls.append(broken_call(text))
    return calls


def _block_end(text: str, start: int) -> tuple[int, int]:
    """Where the body starting at `start` ends, and where reading resumes after the block."""
    candidates = [found for tag in (CLOSING, OPENING) if (found := text.find(tag, start)) >= 0]
    if not candidates:
        return len(text), len(text)
    end = min(candidates)
    resume = end + len(CLOSING) if text.startswith(CLOSING, end) else end
    return end, resume


def _read_block(text: str, start: int, schemas: ToolSchemas) -> tuple[list[ToolCall], int]:
    """The calls of the block whose body starts at `start`, and where reading resumes."""
    body = skip_space(text, start)
    if text.startswith("<function", body):
        end, resume = _block_end(text, body)
        parsed = parse_openhands(text[body:end], schemas)
        if parsed is not None and parsed.tool_calls:
            return list(parsed.tool_calls), resume
        return [broken_call(text[body:end])], resume
    decoded = decode_value_at(text, body)
    if decoded is not None and isinstance(decoded[0], dict | list):
        value, after = decoded
        _end, resume = _block_end(text, after)
        return _calls_in_value(value, text[body:after]), resume
    end, resume = _block_end(text, body)
    return [broken_call(strip_end_markers(text[body:end]))], resume


def parse_hermes_calls(text: str, schemas: ToolSchemas = ()) -> ParsedTurn | None:
    """The calls in `<tool_call>` blocks, or None when the text has no such block."""
    first = text.find(OPENING)
    if first < 0:
        return None
    prose = [text[:first]]
    calls: list[ToolCall] = []
    position = first
    while position >= 0:
        found, position = _read_block(text, position + len(OPENING), schemas)
        calls.extend(found)
        following = text.find(OPENING, position)
        prose.append(text[position : following if following >= 0 else len(text)])
        position = following
    content = "\n".join(part for part in (strip_end_markers(p) for p in prose) if part)
    return ParsedTurn(content=content, tool_calls=tuple(calls))
