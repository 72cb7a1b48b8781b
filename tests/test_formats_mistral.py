"""Mistral prompts and replies at the token level, with real mistral-common tokenizers: the v13
file built offline from the shipped vocabulary, and the shipped v3 file (JSON-list calls)."""

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from devcli.events import ToolCall
from devcli.llm.backend import Role
from devcli.llm.companion_files import load_mistral_tokenizer
from devcli.llm.formats.call_text import make_tool_call
from devcli.llm.formats.mistral_prompt import MistralCommonPrompt
from devcli.llm.formats.mistral_tokens import parse_mistral_reply
from devcli.llm.formats.prompt_renderer import HistoryMessage, PromptError
from devcli.llm.formats.replies import MistralReply
from devcli.tool_schema import ToolSchema
from tests.support.llm_files import write_v13_tekken

TOOLS = [
    ToolSchema.model_validate(entry)
    for entry in [
        {
            "type": "function",
            "function": {
                "name": "execute_bash",
                "description": "Run a command.",
                "parameters": {
                    "type": "object",
                    "properties": {"command": {"type": "string"}},
                    "required": ["command"],
                },
            },
        },
        {
            "type": "function",
            "function": {
                "name": "think",
                "description": "Think.",
                "parameters": {
                    "type": "object",
                    "properties": {"thought": {"type": "string"}},
                    "required": ["thought"],
                },
            },
        },
    ]
]


@pytest.fixture(scope="module")
def v13(tmp_path_factory: pytest.TempPathFactory) -> MistralCommonPrompt:
    folder = tmp_path_factory.mktemp("tekken-v13")
    return MistralCommonPrompt(load_mistral_tokenizer(write_v13_tekken(folder)))


@pytest.fixture(scope="module")
def v3() -> MistralCommonPrompt:
    spec = importlib.util.find_spec("mistral_common")
    assert spec is not None and spec.submodule_search_locations
    shipped = Path(next(iter(spec.submodule_search_locations))) / "data" / "tekken_240911.json"
    return MistralCommonPrompt(load_mistral_tokenizer(shipped))


def _message(role: Role, content: str = "", **extra: Any) -> HistoryMessage:
    return HistoryMessage(role=role, content=content, **extra)


def _conversation(calls: tuple[ToolCall, ...], content: str = "") -> list[HistoryMessage]:
    messages = [
        _message(Role.SYSTEM, "You are a test."),
        _message(Role.USER, "Look around."),
        _message(Role.ASSISTANT, content, tool_calls=calls),
    ]
    messages += [
        _message(Role.TOOL, f"result {i}", tool_call_id=call.id, name=call.name)
        for i, call in enumerate(calls)
    ]
    return messages


def _encode_text(prompt: MistralCommonPrompt, text: str) -> list[int]:
    tekken = prompt._tokenizer.instruct_tokenizer.tokenizer
    return list(tekken.encode(text, bos=False, eos=False))


def _assistant_ids(prompt: MistralCommonPrompt, messages: list[HistoryMessage]) -> list[int]:
    """The tokens mistral-common writes for the (only) assistant message."""
    tokens = prompt.encode(messages, TOOLS)
    start, end = prompt._assistant_spans(tokens)[0]
    return tokens[start:end]


def test_v13_controls_come_from_the_tokenizer(v13: MistralCommonPrompt) -> None:
    assert v13.version == "v13"
    assert (v13.controls.eos, v13.controls.tool_calls, v13.controls.args) == (2, 9, 32)
    assert v13.controls.call_id is None  # v13 no longer writes call ids


def test_calls_rendered_by_mistral_common_parse_back(v13: MistralCommonPrompt) -> None:
    calls = (
        make_tool_call("think", {"thought": "first [ARGS] then }"}),
        make_tool_call("execute_bash", {"command": "grep -rn '{' src"}),
    )
    ids = _assistant_ids(v13, _conversation(calls, content="Two steps."))
    assert ids.count(v13.controls.tool_calls) == 2
    parsed = parse_mistral_reply(ids, v13.pieces, v13.controls)
    assert parsed.content == "Two steps."
    assert [(c.name, c.arguments) for c in parsed.tool_calls] == [
        (c.name, c.arguments) for c in calls
    ]


def test_literal_marker_text_is_not_a_control_token(v13: MistralCommonPrompt) -> None:
    # "[TOOL_CALLS]" written as text encodes to ordinary tokens: it is content, not a call.
    ids = [*_encode_text(v13, "Use [TOOL_CALLS] in the docs."), v13.controls.eos]
    assert v13.controls.tool_calls not in ids
    parsed = parse_mistral_reply(ids, v13.pieces, v13.controls, ["think"])
    assert parsed.tool_calls == () and parsed.content == "Use [TOOL_CALLS] in the docs."


def test_a_call_written_as_text_is_still_accepted(v13: MistralCommonPrompt) -> None:
    ids = [*_encode_text(v13, 'Checking.\nthink{"thought": "x"}'), v13.controls.eos]
    parsed = parse_mistral_reply(ids, v13.pieces, v13.controls, ["think"])
    assert parsed.content == "Checking."
    assert [(c.name, c.arguments) for c in parsed.tool_calls] == [("think", {"thought": "x"})]


def test_reply_reader_streams_only_the_prose(v13: MistralCommonPrompt) -> None:
    call = make_tool_call("execute_bash", {"command": "ls"})
    ids = _assistant_ids(v13, _conversation((call,), content="Listing the files."))
    reader = MistralReply(v13.pieces, v13.controls, ["execute_bash"])
    shown = "".join(reader.feed(token) for token in ids)
    assert shown == "Listing the files."
    assert reader.finish().tool_calls[0].arguments == {"command": "ls"}


def test_long_space_tokens_survive_decoding(v13: MistralCommonPrompt) -> None:
    indented = " " * 64 + "X"
    ids = _encode_text(v13, indented)
    assert max(len(v13.pieces.piece(token)) for token in ids) > 32
    reply = [v13.controls.tool_calls, *_encode_text(v13, "think"), v13.controls.args]
    reply += [*_encode_text(v13, json.dumps({"thought": indented})), v13.controls.eos]
    parsed = parse_mistral_reply(reply, v13.pieces, v13.controls)
    assert parsed.tool_calls[0].arguments == {"thought": indented}


def test_generated_tokens_replace_the_re_encoded_turn(v13: MistralCommonPrompt) -> None:
    call = make_tool_call("execute_bash", {"command": "ls"})
    generated = [v13.controls.tool_calls, *_encode_text(v13, "execute_bash"), v13.controls.args]
    generated += [*_encode_text(v13, '{"command":"ls"}'), v13.controls.eos]  # compact JSON
    plain = _conversation((call,))
    re_encoded = v13.encode(plain, TOOLS)
    spliced_messages = [
        m.model_copy(update={"generated_ids": tuple(generated)}) if m.role is Role.ASSISTANT else m
        for m in plain
    ]
    spliced = v13.encode(spliced_messages, TOOLS)
    start, end = v13._assistant_spans(re_encoded)[0]
    assert re_encoded[start:end] != generated  # mistral-common spaces the JSON differently
    assert spliced == re_encoded[:start] + generated + re_encoded[end:]


def test_prompt_prefix_is_stable_from_turn_to_turn(v13: MistralCommonPrompt) -> None:
    call = make_tool_call("think", {"thought": "x"})
    first = v13.encode(_conversation(())[:2], TOOLS)
    second = v13.encode(_conversation((call,)), TOOLS)
    assert second[: len(first)] == first


def test_invalid_conversations_raise_prompt_errors(v13: MistralCommonPrompt) -> None:
    messages = [
        _message(Role.USER, "hi"),
        _message(Role.TOOL, "orphan", tool_call_id="abcdefghi", name="think"),
    ]
    with pytest.raises(PromptError, match="cannot be written as a prompt"):
        v13.encode(messages, TOOLS)


def test_odd_turns_still_encode(v13: MistralCommonPrompt) -> None:
    weird = ToolCall(id="abcdefghi", name="not a name!", raw_arguments='{"broken": ')
    messages = _conversation((weird,))
    messages.insert(2, _message(Role.ASSISTANT, ""))
    messages.insert(3, _message(Role.USER, "Go on."))
    tokens = v13.encode(messages, TOOLS)
    assert tokens[0] == v13.bos and len(v13._assistant_spans(tokens)) == 2


def test_v3_json_list_calls_parse_back(v3: MistralCommonPrompt) -> None:
    assert v3.controls.args is None
    calls = (
        make_tool_call("think", {"thought": "a"}),
        make_tool_call("execute_bash", {"command": "echo ']}'"}),
    )
    messages = _conversation(calls)[1:]  # v3 has no system prompt token
    ids = _assistant_ids(v3, messages)
    parsed = parse_mistral_reply(ids, v3.pieces, v3.controls)
    assert [(c.name, c.arguments, c.id) for c in parsed.tool_calls] == [
        (c.name, c.arguments, c.id) for c in calls
    ]


def test_openhands_calls_over_a_mistral_tokenizer(v3: MistralCommonPrompt) -> None:
    """Devstral 2505's way: text calls and results inside ordinary messages."""
    from devcli.llm.formats.chat_format import ChatFormat
    from devcli.llm.model_cards import ToolFormat

    chat = ChatFormat(v3, ToolFormat.OPENHANDS, v3.pieces, v3.controls)
    call = make_tool_call("execute_bash", {"command": "ls"})
    tokens = chat.prompt(_conversation((call,))[1:], TOOLS)
    assert v3.controls.tool_calls not in tokens  # no native call anywhere
    text = v3._tokenizer.decode(tokens)
    assert "<function=execute_bash>\n<parameter=command>ls</parameter>\n</function>" in text
    assert "EXECUTION RESULT of [execute_bash]:\nresult 0" in text
    reader = chat.reader(TOOLS)
    reply = _encode_text(v3, "Checking.\n<function=think>\n<parameter=thought>ok</parameter>\n")
    shown = "".join(reader.feed(token) for token in reply)
    assert shown == "Checking.\n"
    assert reader.finish().tool_calls[0].arguments == {"thought": "ok"}
