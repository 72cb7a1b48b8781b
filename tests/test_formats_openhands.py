"""OpenHands' text tool-call format: writing calls and results into a conversation, and reading
a reply as it streams."""

from pathlib import Path

import pytest

from devcli.llm.backend import Role
from devcli.llm.formats.call_text import make_tool_call
from devcli.llm.formats.openhands_text import (
    STOP_WORD,
    describe_tools,
    parse_openhands,
    render_call,
    to_text_conversation,
)
from devcli.llm.formats.prompt_renderer import HistoryMessage
from devcli.llm.formats.replies import TextReply
from devcli.tools.registry import ToolBox


class BytePieces:
    """A vocabulary of single bytes: lets a test feed any text one token per byte."""

    def piece(self, token: int) -> bytes:
        return bytes([token])

    def is_control(self, token: int) -> bool:
        return False


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    toolbox = ToolBox.default(tmp_path_factory.mktemp("repo"))
    try:
        return toolbox.schemas()
    finally:
        toolbox.close()


def _feed(reader: TextReply, text: str) -> list[str]:
    return [reader.feed(byte) for byte in text.encode()]


def test_rendered_calls_parse_back(schemas: list[dict[str, object]]) -> None:
    arguments = {
        "command": "view",
        "path": "/repo/a.py",
        "view_range": [10, -1],
    }
    created = {
        "command": "create",
        "path": "/repo/b.py",
        "file_text": "x = 1\n\nif x < 2:\n    y = '</p>'\n",
    }
    for call in (
        make_tool_call("str_replace_editor", arguments),
        make_tool_call("str_replace_editor", created),
    ):
        parsed = parse_openhands(render_call(call), schemas)
        assert parsed is not None
        assert parsed.tool_calls[0].name == call.name
        assert parsed.tool_calls[0].arguments == call.arguments


def test_conversation_becomes_text(schemas: list[dict[str, object]]) -> None:
    call = make_tool_call("execute_bash", {"command": "ls"})
    messages = [
        HistoryMessage(role=Role.SYSTEM, content="Be brief."),
        HistoryMessage(role=Role.USER, content="List files."),
        HistoryMessage(
            role=Role.ASSISTANT, content="Sure.", tool_calls=(call,), generated_ids=(5, 6)
        ),
        HistoryMessage(role=Role.TOOL, content="a.txt", tool_call_id=call.id, name="execute_bash"),
    ]
    converted = to_text_conversation(messages, schemas)
    assert [m.role for m in converted] == [Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.USER]
    assert converted[0].content.startswith("Be brief.")
    for name in ("execute_bash", "str_replace_editor", "think", "finish"):
        assert f": {name} ----" in converted[0].content
    assert (
        converted[2].content
        == "Sure.\n<function=execute_bash>\n<parameter=command>ls</parameter>\n</function>"
    )
    assert converted[2].generated_ids == (5, 6) and not converted[2].tool_calls
    assert converted[3].content == "EXECUTION RESULT of [execute_bash]:\na.txt"


def test_tool_description_lists_required_parameters_and_choices(
    schemas: list[dict[str, object]],
) -> None:
    text = describe_tools(schemas)
    assert "(1) command (string, required)" in text
    assert "`view`, `create`, `str_replace`, `insert`, `undo_edit`" in text
    assert "(3) timeout (number, optional)" in text


def test_prose_streams_until_the_call_starts() -> None:
    reader = TextReply(BytePieces(), ("<function=",), (STOP_WORD,), [], ["think"])
    reply = (
        "I <3 this. <funny> too.\n<function=think>\n<parameter=thought>hm</parameter>\n</function>"
    )
    shown = "".join(_feed(reader, reply))
    assert shown == "I <3 this. <funny> too.\n"
    assert reader.stopped  # generation ends at the stop word
    parsed = reader.finish()
    assert parsed.content == "I <3 this. <funny> too."
    assert parsed.tool_calls[0].arguments == {"thought": "hm"}


def test_a_possible_opener_is_held_back_until_settled() -> None:
    reader = TextReply(BytePieces(), ("<function=",), (STOP_WORD,), [], [])
    pieces = _feed(reader, "ab<fun")
    assert "".join(pieces) == "ab"
    assert "".join(_feed(reader, "ny")) == "<funny"


def test_multibyte_characters_are_never_split() -> None:
    reader = TextReply(BytePieces(), ("<function=",), (), [], [])
    pieces = _feed(reader, "é日本")
    assert all("\ufffd" not in piece for piece in pieces)
    assert "".join(pieces) == "é日本"
    assert reader.finish().content == "é日本"


def test_reply_without_a_call_is_plain_content(tmp_path: Path) -> None:
    reader = TextReply(BytePieces(), ("<function=",), (STOP_WORD,), [], [])
    _feed(reader, "  All done.  ")
    parsed = reader.finish()
    assert parsed.content == "All done." and parsed.tool_calls == ()
