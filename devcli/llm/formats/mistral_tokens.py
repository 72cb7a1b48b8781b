"""Reading Mistral tool calls from generated token ids.

Working on ids rather than text tells the real control tokens apart from the same characters
written as plain text (a file that mentions "[ARGS]"), and never depends on a detokeniser that
drops control tokens.
"""

from collections.abc import Collection, Sequence

from pydantic import BaseModel, ConfigDict

from devcli.events import ToolCall
from devcli.llm.formats.call_text import ParsedTurn
from devcli.llm.formats.mistral_text import TOOL_CALLS, call_from_arguments, parse_marked_calls
from devcli.llm.formats.text_calls import parse_text_tool_calls
from devcli.llm.formats.token_text import TokenPieces, decode_tokens


class MistralControls(BaseModel):
    """Ids of the control tokens a reply may contain."""

    model_config = ConfigDict(frozen=True)

    eos: int
    tool_calls: int
    args: int | None = None  # v11 and later
    call_id: int | None = None  # v11 only writes it


def _split(tokens: Sequence[int], separator: int) -> list[list[int]]:
    parts: list[list[int]] = [[]]
    for token in tokens:
        if token == separator:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def _read_call(
    segment: list[int], pieces: TokenPieces, controls: MistralControls
) -> list[ToolCall]:
    """One `[TOOL_CALLS]` segment: `name[CALL_ID]id[ARGS]{...}`, or a v3/v7 JSON list."""
    if controls.args is None or controls.args not in segment:
        text = decode_tokens(pieces, segment, keep_control=True)
        parsed = parse_marked_calls(TOOL_CALLS + text)
        return list(parsed.tool_calls) if parsed is not None else []
    cut = segment.index(controls.args)
    head, body = segment[:cut], segment[cut + 1 :]
    call_id: str | None = None
    if controls.call_id is not None and controls.call_id in head:
        marker = head.index(controls.call_id)
        call_id = decode_tokens(pieces, head[marker + 1 :]).strip()
        head = head[:marker]
    name = decode_tokens(pieces, head).strip()
    return [call_from_arguments(name, decode_tokens(pieces, body, keep_control=True), call_id)]


def parse_mistral_reply(
    tokens: Sequence[int],
    pieces: TokenPieces,
    controls: MistralControls,
    tool_names: Collection[str] = (),
) -> ParsedTurn:
    """The content and calls of one generated reply (up to its end-of-sequence token)."""
    reply = list(tokens)
    if controls.eos in reply:
        reply = reply[: reply.index(controls.eos)]
    if controls.tool_calls not in reply:
        text = decode_tokens(pieces, reply)
        # A model may still write a call as text: accepted when it names an offered tool, so
        # prose that merely quotes a marker stays prose.
        written = parse_text_tool_calls(text, tool_names)
        if written is not None and all(call.name in tool_names for call in written.tool_calls):
            return written
        return ParsedTurn(content=text.strip(), tool_calls=())
    first, *segments = _split(reply, controls.tool_calls)
    calls = [call for segment in segments for call in _read_call(segment, pieces, controls)]
    return ParsedTurn(content=decode_tokens(pieces, first).strip(), tool_calls=tuple(calls))
