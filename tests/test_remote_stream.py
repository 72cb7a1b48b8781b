"""Assembling a turn from the chunks servers actually send, in their various shapes."""

import json

import pytest

from devcli.llm.openai_stream import TurnAssembler
from devcli.llm.retry import StreamBroken
from tests.support.fault_server import chunk

NAMES = ("execute_bash", "str_replace_editor", "think", "finish")


def _call(index: int | None, call_id: str | None, name: str | None, args: str) -> dict[str, object]:
    delta: dict[str, object] = {"function": {"arguments": args}}
    if name is not None:
        delta["function"] = {"name": name, "arguments": args}
    if index is not None:
        delta["index"] = index
    if call_id is not None:
        delta["id"] = call_id
    return chunk({"tool_calls": [delta]})


def _assemble(*chunks: dict[str, object], shown: list[str] | None = None) -> TurnAssembler:
    assembler = TurnAssembler(shown.append if shown is not None else None)
    for item in chunks:
        assembler.add_chunk(item)
    return assembler


def test_every_call_of_a_server_that_reuses_index_zero() -> None:
    first, second = json.dumps({"thought": "a"}), json.dumps({"command": "ls"})
    turn = _assemble(
        _call(0, "id1", "think", first[:4]),
        _call(0, None, None, first[4:]),
        _call(0, "id2", "execute_bash", second),
        chunk({}, "tool_calls"),
    ).turn(NAMES)
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [
        ("think", {"thought": "a"}),
        ("execute_bash", {"command": "ls"}),
    ]


def test_deltas_without_an_index_continue_the_last_call() -> None:
    turn = _assemble(
        _call(None, "id1", "finish", '{"message": "m",'),
        _call(None, None, None, ' "task_completed": "true"}'),
        chunk({}, "tool_calls"),
    ).turn(NAMES)
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [
        ("finish", {"message": "m", "task_completed": "true"})
    ]


def test_arguments_sent_as_an_object_are_accepted() -> None:
    item = chunk(
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "x",
                    "function": {"name": "think", "arguments": {"thought": "t"}},
                }
            ]
        },
        "tool_calls",
    )
    turn = _assemble(item).turn(NAMES)
    assert turn.tool_calls[0].arguments == {"thought": "t"}


def test_arguments_cut_short_are_kept_raw_for_the_error_observation() -> None:
    turn = _assemble(_call(0, "x", "execute_bash", '{"command": "ls'), chunk({}, "length")).turn(
        NAMES
    )
    [call] = turn.tool_calls
    assert call.arguments == {} and call.raw_arguments == '{"command": "ls'


def test_a_marker_split_across_chunks_is_never_shown() -> None:
    shown: list[str] = []
    pieces = [
        "Done. [TOOL",
        "_CAL",
        'LS]finish[ARGS]{"message": "ok", ',
        '"task_completed": "true"}',
    ]
    assembler = _assemble(*(chunk({"content": p}) for p in pieces), chunk({}, "stop"), shown=shown)
    turn = assembler.turn(NAMES)
    assert "".join(shown) == "Done. "
    assert turn.content == "Done."
    assert turn.tool_calls[0].arguments == {"message": "ok", "task_completed": "true"}


def test_text_that_only_looks_like_a_marker_start_is_shown_at_the_end() -> None:
    shown: list[str] = []
    _assemble(chunk({"content": "a < b and [TOOL"}), chunk({}, "stop"), shown=shown).turn(NAMES)
    assert "".join(shown) == "a < b and [TOOL"


def test_a_call_without_control_tokens_is_read_with_the_tool_names() -> None:
    turn = _assemble(chunk({"content": 'execute_bash{"command": "git status"}'}, "stop")).turn(
        NAMES
    )
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [
        ("execute_bash", {"command": "git status"})
    ]
    assert turn.content == ""


def test_plain_prose_stays_prose() -> None:
    turn = _assemble(chunk({"content": "I think {this} is fine."}, "stop")).turn(NAMES)
    assert turn.tool_calls == () and turn.content == "I think {this} is fine."


def test_a_chunk_of_the_wrong_shape_breaks_the_stream() -> None:
    with pytest.raises(StreamBroken, match="unexpected shape"):
        _assemble({"choices": "not a list"})


def test_usage_from_the_last_chunk_that_has_it() -> None:
    usage = {"prompt_tokens": 100, "completion_tokens": 3, "total_tokens": 103}
    turn = _assemble(chunk({"content": "x"}, "stop"), {"choices": [], "usage": usage}).turn(NAMES)
    assert (turn.usage.prompt_tokens, turn.usage.completion_tokens) == (100, 3)


def test_reasoning_is_kept_on_the_turn_but_not_in_its_content() -> None:
    thoughts: list[str] = []
    assembler = TurnAssembler(None, thoughts.append)
    for item in (
        chunk({"reasoning_content": "First, check "}),
        chunk({"reasoning_content": "the tests."}),
        chunk({"content": "Running them."}, "stop"),
    ):
        assembler.add_chunk(item)
    turn = assembler.turn(NAMES)
    assert thoughts == ["First, check ", "the tests."]
    assert turn.reasoning == "First, check the tests."
    assert turn.content == "Running them."
    assert _assemble(chunk({"content": "plain"}, "stop")).turn(NAMES).reasoning is None
