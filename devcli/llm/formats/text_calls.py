"""Tool calls written as text: every shape a model or a server may leave in a reply (Mistral
markers, OpenHands tags, Hermes `<tool_call>` blocks, bare JSON call objects, call objects in
a Markdown fence that closes the reply).

`parse_text_tool_calls` is what a backend calls on reply text it received (a server's `content`,
or a local model's decoded output). It returns None when the text makes no call, so that the
text is a plain answer.
"""

from collections.abc import Collection

from devcli.llm.formats.bare_json_calls import parse_bare_json_calls
from devcli.llm.formats.call_text import HERMES_OPENER, OPENHANDS_OPENER, ParsedTurn
from devcli.llm.formats.fenced_calls import parse_fenced_calls
from devcli.llm.formats.hermes_calls import parse_hermes_calls
from devcli.llm.formats.mistral_text import (
    TOOL_CALLS,
    parse_bare_calls,
    parse_call_list_tail,
    parse_marked_calls,
)
from devcli.llm.formats.openhands_text import parse_openhands
from devcli.tool_schema import ToolSchemas

__all__ = ["ParsedTurn", "parse_text_tool_calls"]


def parse_text_tool_calls(
    text: str,
    tool_names: Collection[str] = (),
    *,
    schemas: ToolSchemas = (),
) -> ParsedTurn | None:
    """The calls in `text`, or None when it makes none.

    `tool_names` lets calls be recognised after a server stripped the control tokens
    (`execute_bash{"command": "ls"}`); `schemas` (OpenAI-style tool entries) types the
    parameters of OpenHands-style calls, which are written as text.
    """
    names = set(tool_names) | {schema.name for schema in schemas}
    marked = text.find(TOOL_CALLS)
    openhands = text.find(OPENHANDS_OPENER)
    tagged = text.find(HERMES_OPENER)
    if tagged >= 0 and all(other < 0 or tagged < other for other in (marked, openhands)):
        return parse_hermes_calls(text, schemas)
    if openhands >= 0 and (marked < 0 or openhands < marked):
        parsed = parse_openhands(text, schemas)
        if parsed is not None:
            return parsed
    if marked >= 0:
        return parse_marked_calls(text)
    return (
        parse_bare_json_calls(text)
        or parse_call_list_tail(text)
        or parse_bare_calls(text, names)
        or parse_fenced_calls(text, names)
    )
