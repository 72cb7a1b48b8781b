"""Seeded fuzzing of model output, from the text-call parsers to the session file.

Every generated reply mixes call syntaxes (Mistral markers and lists, OpenHands tags, bare
`name{...}`) with truncated, deeply nested and huge JSON, control characters, lone surrogates
and line separators. Whatever the parsers make of it must become events that redact,
serialise and read back, and calls that the tool box accepts or explains, without any
exception escaping.
"""

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from devcli.agent.budget import estimate_tokens
from devcli.agent.conversation import model_messages
from devcli.agent.stuck import stuck_reason
from devcli.events import (
    AssistantTurn,
    Event,
    Observation,
    ToolCall,
    UserMessage,
    event_from_json,
    event_to_json,
)
from devcli.json_nesting import MAX_NESTING
from devcli.llm.formats.mistral_tokens import MistralControls, parse_mistral_reply
from devcli.llm.formats.replies import TextReply
from devcli.llm.formats.text_calls import parse_text_tool_calls
from devcli.redaction import Redactor
from devcli.tools.base import ArgumentError
from devcli.tools.registry import ToolBox

SEED = 20260513
CASES = 4000
NAMES = ("execute_bash", "str_replace_editor", "think", "finish")
SECRET = "sk-fuzz-0123456789abcdefghij"

_ODD_CHARACTERS = [
    "\ud800",
    "\udfff",
    "\udc80",
    "\u2028",
    "\u2029",
    "\x00",
    "\x1b[31m",
    "\r",
    "\x0c",
    "\x85",
    "\ufeff",
    "\U0001f600",
    "é",
    "\\",
    '"',
    "\\ud800",
    "\\u0000",
]


def _deep(rng: random.Random) -> str:
    depth = rng.choice([3, MAX_NESTING - 1, MAX_NESTING + 1, 400, 3000])
    if rng.random() < 0.01:
        depth = 100_000
    opening, closing = rng.choice([("[", "]"), ('{"a":', "}"), ('[{"b":', "}]")])
    inner = opening * depth + "1" + closing * depth
    return inner if rng.random() < 0.7 else inner[: rng.randrange(len(inner))]


def _string(rng: random.Random, size: int) -> str:
    parts = [rng.choice(_ODD_CHARACTERS) if rng.random() < 0.2 else "ab c" for _ in range(size)]
    return "".join(parts)


def _arguments(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return _deep(rng)
    if kind == 1:
        value = {"command": _string(rng, rng.randrange(1, 30)), "path": "/tmp/x"}
        text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
        return text[: rng.randrange(len(text) + 1)]
    if kind == 2:
        return json.dumps({"command": "x" * rng.choice([10, 1000, 20_000])})
    if kind == 3:
        return '{"command": "' + SECRET + '", "file_text": "\\ud800\\udc00\\ud83d"}'
    if kind == 4:
        return json.dumps({"thought": _string(rng, 20)})[:-1] + ", " * rng.randrange(3)
    return "{" + _string(rng, rng.randrange(1, 10)) + "}"


def _fragment(rng: random.Random) -> str:
    name = rng.choice([*NAMES, "", "nope", "x" * 300, "exec\ud800"])
    kind = rng.randrange(9)
    if kind == 0:
        return f"[TOOL_CALLS]{name}[ARGS]{_arguments(rng)}"
    if kind == 1:
        return f"[TOOL_CALLS]{name}[CALL_ID]{_string(rng, 2)}[ARGS]{_arguments(rng)}"
    if kind == 2:
        return f'[TOOL_CALLS][{{"name": "{name}", "arguments": {_arguments(rng)}}}]'
    if kind == 3:
        return f'[{{"name": "{name}", "arguments": {_arguments(rng)}, "id": "abcdefghi"}}]'
    if kind == 4:
        value = _string(rng, rng.randrange(0, 8))
        closing = rng.choice(["</parameter>", "", "</parameter>\n</function>"])
        return f"<function={name}>\n<parameter=command>{value}{closing}"
    if kind == 5:
        return f"{name}{_arguments(rng)}"
    if kind == 6:
        return rng.choice(["[TOOL_CALLS]", "[ARGS]", "</s>", "<function=", "<parameter=x>"])
    if kind == 7:
        return _string(rng, rng.randrange(1, 40))
    return _deep(rng)


def _reply(rng: random.Random) -> str:
    return "".join(_fragment(rng) for _ in range(rng.randrange(1, 5)))


class _CharPieces:
    """A vocabulary of one token per code point; ids 1-9 and 32 are control tokens."""

    controls: ClassVar[dict[int, bytes]] = {
        2: b"</s>",
        9: b"[TOOL_CALLS]",
        32: b"[ARGS]",
        33: b"[CALL_ID]",
    }

    def piece(self, token: int) -> bytes:
        if token in self.controls:
            return self.controls[token]
        return chr(token).encode("utf-8", errors="surrogatepass")

    def is_control(self, token: int) -> bool:
        return token in self.controls


_MARKERS = {"[TOOL_CALLS]": 9, "[ARGS]": 32, "[CALL_ID]": 33, "</s>": 2}
_MARKER_SPLIT = re.compile("(" + "|".join(map(re.escape, _MARKERS)) + ")")


def _tokens(text: str) -> list[int]:
    """One token per marker and per other code point."""
    tokens: list[int] = []
    for part in _MARKER_SPLIT.split(text):
        if part in _MARKERS:
            tokens.append(_MARKERS[part])
        else:
            tokens += [0xFFFD if ord(c) in _CharPieces.controls else ord(c) for c in part]
    return tokens


def _through_the_session(
    turn: AssistantTurn, redactor: Redactor, toolbox: ToolBox, events: list[Event]
) -> None:
    """What the loop does with a turn, up to the line written to the session file."""
    for call in turn.tool_calls:
        try:
            toolbox.prepare(call)
        except ArgumentError as exc:
            assert str(exc)
    for event in [turn, *_observations(turn)]:
        line = event_to_json(redactor.event(event))
        line.encode("utf-8")  # the session file is UTF-8
        assert SECRET not in line
        assert "\n" not in line
        back = event_from_json(line)
        assert back.type == event.type
        events.append(back)
    messages = model_messages("system", events)
    assert estimate_tokens(messages, toolbox.schemas()) > 0
    stuck_reason(events)


def _observations(turn: AssistantTurn) -> list[Observation]:
    return [
        Observation(tool_call_id=call.id, name=call.name, content=turn.content[:200])
        for call in turn.tool_calls
    ]


@pytest.fixture
def toolbox(tmp_path: Path) -> Iterator[ToolBox]:
    box = ToolBox.default(tmp_path)
    yield box
    box.close()


def test_fuzzed_replies_never_raise_from_parsing_to_the_session_file(toolbox: ToolBox) -> None:
    rng = random.Random(SEED)
    redactor = Redactor([SECRET])
    schemas = toolbox.schemas()
    controls = MistralControls(eos=2, tool_calls=9, args=32, call_id=33)
    events: list[Event] = [UserMessage(content="task")]
    kinds: set[str] = set()
    for _ in range(CASES):
        text = _reply(rng)
        parsed = parse_text_tool_calls(text, NAMES, schemas=schemas)
        results = [parsed]
        if len(text) < 5000:  # real replies are short in tokens; this reader is per token
            results.append(parse_mistral_reply(_tokens(text), _CharPieces(), controls, NAMES))
        for result in results:
            if result is None:
                continue
            turn = AssistantTurn(content=result.content, tool_calls=result.tool_calls)
            kinds.update("raw" if c.raw_arguments is not None else "json" for c in turn.tool_calls)
            _through_the_session(turn, redactor, toolbox, events)
        if len(events) > 60:
            del events[1:-20]
    # The generator reached both outcomes: calls read as JSON, and calls reported as raw text.
    assert kinds == {"raw", "json"}


def test_streamed_replies_never_raise(toolbox: ToolBox) -> None:
    rng = random.Random(SEED + 1)
    pieces = _CharPieces()
    for _ in range(CASES // 20):
        text = _reply(rng)[:2000]
        reader = TextReply(
            pieces,
            openers=("[TOOL_CALLS]", "<function="),
            stop_strings=("</function",),
            tools=toolbox.schemas(),
            tool_names=NAMES,
        )
        shown = "".join(reader.feed(token) for token in _tokens(text))
        shown.encode("utf-8", errors="surrogatepass")
        result = reader.finish()
        AssistantTurn(content=result.content, tool_calls=result.tool_calls).model_dump_json()


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param("[" * 100_000, id="unclosed 100k deep"),
        pytest.param(
            '{"a":' * (MAX_NESTING + 1) + "1" + "}" * (MAX_NESTING + 1), id="one too deep"
        ),
        pytest.param("[" * 5000 + "]" * 5000, id="5000 deep"),
    ],
)
def test_too_deep_arguments_become_an_error_naming_the_limit(
    arguments: str, toolbox: ToolBox
) -> None:
    parsed = parse_text_tool_calls(f"[TOOL_CALLS]execute_bash[ARGS]{arguments}", NAMES)
    assert parsed is not None
    (call,) = parsed.tool_calls
    with pytest.raises(ArgumentError, match=f"deeper than {MAX_NESTING} levels"):
        toolbox.prepare(call)


def test_nesting_at_the_limit_is_read() -> None:
    depth = MAX_NESTING - 1  # the arguments object itself is one level
    value = "[" * depth + "1" + "]" * depth
    parsed = parse_text_tool_calls(f'[TOOL_CALLS]think[ARGS]{{"thought": {value}}}', NAMES)
    assert parsed is not None
    (call,) = parsed.tool_calls
    assert call.raw_arguments is None and "thought" in call.arguments


def test_lone_surrogates_become_replacement_characters_everywhere() -> None:
    text = 'Hi \ud800 [TOOL_CALLS]think[ARGS]{"thought": "a\\ud800b", "k\\udfff": 1}'
    parsed = parse_text_tool_calls(text, NAMES)
    assert parsed is not None
    turn = AssistantTurn(content=parsed.content, tool_calls=parsed.tool_calls)
    line = event_to_json(turn)
    back = event_from_json(line)
    assert isinstance(back, AssistantTurn)
    assert back.content == "Hi \ufffd"
    assert back.tool_calls[0].arguments == {"thought": "a\ufffdb", "k\ufffd": 1}


def test_arguments_built_in_code_are_bounded_too() -> None:
    nested: Any = "leaf"
    for _ in range(MAX_NESTING + 5):
        nested = [nested]
    turn = AssistantTurn(
        tool_calls=(ToolCall(id="abcdefghi", name="think", arguments={"thought": nested}),)
    )
    (call,) = turn.tool_calls
    assert call.arguments == {} and call.raw_arguments is not None
    event_from_json(event_to_json(turn))
