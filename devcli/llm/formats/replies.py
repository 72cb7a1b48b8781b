"""Following a reply while it is generated: what to show now, when to stop, what it meant.

The streamed text is the assistant's prose only; tool calls are shown once parsed, from the
turn's event.
"""

from collections.abc import Collection
from typing import Protocol

from devcli.llm.formats.call_text import HeldBackText, ParsedTurn
from devcli.llm.formats.mistral_tokens import MistralControls, parse_mistral_reply
from devcli.llm.formats.text_calls import parse_text_tool_calls
from devcli.llm.formats.token_text import TokenPieces, Utf8Stream
from devcli.tool_schema import ToolSchemas


class ReplyReader(Protocol):
    def feed(self, token: int) -> str:
        """Takes the next generated token; returns the text to show now (maybe empty)."""
        ...

    @property
    def stopped(self) -> bool:
        """True once the reply reached a stop string and generation should end."""
        ...

    def finish(self) -> ParsedTurn: ...


class MistralReply:
    """A reply of a model prompted through mistral-common: calls are control tokens."""

    def __init__(
        self, pieces: TokenPieces, controls: MistralControls, tool_names: Collection[str]
    ) -> None:
        self._pieces = pieces
        self._controls = controls
        self._tool_names = tool_names
        self._tokens: list[int] = []
        self._text = Utf8Stream()
        self._in_calls = False

    @property
    def stopped(self) -> bool:
        return False

    def feed(self, token: int) -> str:
        self._tokens.append(token)
        if self._in_calls:
            return ""
        if token == self._controls.tool_calls:
            self._in_calls = True
            return self._text.flush()
        if self._pieces.is_control(token):
            return ""
        return self._text.add(self._pieces.piece(token))

    def finish(self) -> ParsedTurn:
        return parse_mistral_reply(self._tokens, self._pieces, self._controls, self._tool_names)


class TextReply:
    """A reply whose calls are written as text (`<function=...>`, or Mistral markers rendered
    as text by a chat template). Prose streams until a call opener appears; a text that might
    be the start of an opener is held back until the next token settles it."""

    def __init__(
        self,
        pieces: TokenPieces,
        openers: tuple[str, ...],
        stop_strings: tuple[str, ...],
        tools: ToolSchemas,
        tool_names: Collection[str],
    ) -> None:
        self._pieces = pieces
        self._stop_strings = stop_strings
        self._tools = tools
        self._tool_names = tool_names
        self._stream = Utf8Stream()
        self._held = HeldBackText(openers)
        self._stopped = False

    @property
    def stopped(self) -> bool:
        return self._stopped

    def feed(self, token: int) -> str:
        if self._stopped:
            return ""
        held = self._held
        scanned = len(held.text)
        held.text += self._stream.add(self._pieces.piece(token))
        for stop in self._stop_strings:
            at = held.text.find(stop, max(0, scanned - len(stop) + 1))
            if at >= 0:
                held.text = held.text[:at]
                self._stopped = True
        return held.flush() if self._stopped else held.feed("")

    def finish(self) -> ParsedTurn:
        if not self._stopped:
            self._held.text += self._stream.flush()
        text = self._held.text
        parsed = parse_text_tool_calls(text, self._tool_names, schemas=self._tools)
        return parsed or ParsedTurn(content=text.strip(), tool_calls=())
