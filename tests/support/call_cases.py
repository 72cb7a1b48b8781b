"""Tables of replies and the calls read from them, shared by the tool-call format tests."""

from typing import Any

import pytest

from devcli.events import ToolCall
from devcli.llm.formats.call_text import ParsedTurn

RAW = object()  # the call's arguments could not be read: kept as raw text

# (case id, reply text, expected content, expected calls as (name, arguments or RAW)).
Case = tuple[str, str, str, list[tuple[str, Any]]]


def by_case(cases: list[Any]) -> pytest.MarkDecorator:
    """Parametrize over (text, content, expected), each case named by its id."""
    return pytest.mark.parametrize(
        ("text", "content", "expected"), [c[1:] for c in cases], ids=[c[0] for c in cases]
    )


def _arguments(call: ToolCall) -> Any:
    return RAW if call.raw_arguments is not None else call.arguments


def calls_read(parsed: ParsedTurn) -> list[tuple[str, Any]]:
    """The calls as (name, arguments), RAW for arguments that could not be read."""
    return [(call.name, _arguments(call)) for call in parsed.tool_calls]
