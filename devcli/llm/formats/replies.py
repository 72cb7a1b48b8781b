"""Following a reply while it is generated: what to show now, when to stop, what it meant.

The streamed text is the assistant's prose only; tool calls are shown once parsed, from the
turn's event.
"""

from collections.abc import Collection
from typing import Protocol

from devcli.llm.formats.history import ToolSchemas
from devcli.llm.formats.mistral_tokens import MistralControls, parse_mistral_reply
from devcli.llm.formats.parsed import ParsedTurn
from devcli.llm.formats.text_calls import parse_text_tool_calls
from devcli.llm.formats.token_text import TokenPieces, Utf8Stream


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
        self._openers = openers
        self._stop_strings = stop_strings
        self._tools = tools
        self._tool_names = tool_names
        self._stream = Utf8Stream()
        self._text = ""
        self._shown = 0
        self._in_call = False
        self._stopped = False

    @property
    def stopped(self) -> bool:
        return self._stopped

    def feed(self, token: int) -> str:
        if self._stopped:
            return ""
        scanned = len(self._text)
        self._text += self._stream.add(self._pieces.piece(token))
        for stop in self._stop_strings:
            at = self._text.find(stop, max(0, scanned - len(stop) + 1))
            if at >= 0:
                self._text = self._text[:at]
                self._stopped = True
        return self._visible()

    def _visible(self) -> str:
        if self._in_call:
            return ""
        limit = len(self._text)
        for opener in self._openers:
            at = self._text.find(opener, max(0, self._shown - len(opener)))
            if at >= 0:
                limit = min(limit, at)
                self._in_call = True
        if not self._in_call and not self._stopped:
            limit = min(limit, self._safe_end())
        start, self._shown = self._shown, max(self._shown, limit)
        return self._text[start : self._shown]

    def _safe_end(self) -> int:
        """The end of the text that cannot be the beginning of an opener."""
        for length in range(min(len(self._text), max(map(len, self._openers), default=0)), 0, -1):
            tail = self._text[-length:]
            if any(opener.startswith(tail) for opener in self._openers):
                return len(self._text) - length
        return len(self._text)

    def finish(self) -> ParsedTurn:
        if not self._stopped:
            self._text += self._stream.flush()
        parsed = parse_text_tool_calls(self._text, self._tool_names, schemas=self._tools)
        return parsed or ParsedTurn(content=self._text.strip(), tool_calls=())
