"""How many tokens a prompt takes, and how big the window is."""

import json
from collections.abc import Sequence

from devcli.agent.per_event import PerObject
from devcli.llm.backend import Backend, ChatMessage
from devcli.tool_schema import ToolSchemas
from devcli.truncation import CHARS_PER_TOKEN

DEFAULT_WINDOW = 32_768
_TOKENS_PER_MESSAGE = 6


def _message_chars(message: ChatMessage) -> int:
    chars = len(message.content)
    for call in message.tool_calls:
        chars += len(call.name) + len(
            call.raw_arguments or json.dumps(call.arguments, ensure_ascii=False)
        )
    return chars


# Messages are frozen and rebuilt from cached events, so each is measured once.
_chars_of = PerObject(_message_chars)
_tools_measured: tuple[ToolSchemas, int] | None = None


def _tools_chars(tools: ToolSchemas) -> int:
    """The tools' size; the tool box hands out the same list every step, measured once."""
    global _tools_measured
    if _tools_measured is None or _tools_measured[0] is not tools:
        wire = [tool.wire() for tool in tools]
        _tools_measured = (tools, len(json.dumps(wire, ensure_ascii=False)))
    return _tools_measured[1]


# The messages measured last and their size: the next prompt usually extends them.
_last_measured: tuple[list[ChatMessage], int] = ([], 0)


def _messages_chars(messages: Sequence[ChatMessage]) -> int:
    global _last_measured
    previous, chars = _last_measured
    count = len(previous)
    # Comparing the same message objects is a pointer comparison: cheap for long sessions.
    if not (count and len(messages) >= count and list(messages[:count]) == previous):
        count, chars = 0, 0
    chars += sum(map(_chars_of, messages[count:]))
    _last_measured = (list(messages), chars)
    return chars


def estimate_tokens(messages: Sequence[ChatMessage], tools: ToolSchemas) -> int:
    chars = _tools_chars(tools) if tools else 0
    chars += _messages_chars(messages)
    return int(chars / CHARS_PER_TOKEN) + _TOKENS_PER_MESSAGE * len(messages)


class PromptMeter:
    """Counts prompts exactly where the backend can, else estimates from the last usage figure.

    Between calls to a remote server only an estimate is possible; anchoring it on the
    server's own count for the previous prompt keeps the error to the newest messages.
    """

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._anchor_messages: list[ChatMessage] = []
        self._anchor_tokens = 0

    def observe_usage(self, messages: list[ChatMessage], prompt_tokens: int) -> None:
        if prompt_tokens > 0:
            self._anchor_messages = list(messages)
            self._anchor_tokens = prompt_tokens

    def count(self, messages: list[ChatMessage], tools: ToolSchemas) -> int:
        exact = self._backend.count_prompt_tokens(messages, tools)
        if exact is not None:
            return exact
        anchor = self._anchor_messages
        if anchor and messages[: len(anchor)] == anchor:
            return self._anchor_tokens + estimate_tokens(messages[len(anchor) :], [])
        return estimate_tokens(messages, tools)


def context_window(backend: Backend, configured: int | None) -> int:
    """The window to budget for: the smaller of what the backend runs with (the loaded n_ctx,
    the server's metadata) and --ctx-size; else the model table's; else a default."""
    known = [
        value
        for value in (backend.context_window, configured)
        if isinstance(value, int) and value > 0
    ]
    if known:
        return min(known)
    from devcli.llm.model_cards import card_for_name

    card = card_for_name(backend.model_name)
    return card.context if card is not None else DEFAULT_WINDOW
