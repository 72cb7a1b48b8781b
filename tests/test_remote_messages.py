"""The conversation as OpenAI chat messages: ids, arguments, content and images."""

import base64
import json
from pathlib import Path

import pytest

from devcli.events import ToolCall
from devcli.ids import is_valid_tool_call_id
from devcli.llm.backend import ChatMessage, Role
from devcli.llm.formats.text_calls import parse_text_tool_calls
from devcli.llm.openai_messages import (
    ImageError,
    attach_task_images,
    image_part,
    native_messages,
    text_format_messages,
    wire_id,
)
from devcli.llm.replay import ReplayBackend
from devcli.tools.registry import ToolBox

TOOLS = ToolBox.default(Path("/")).schemas()


def _conversation(*calls: ToolCall, results: tuple[str, ...] = ()) -> list[ChatMessage]:
    messages = [
        ChatMessage(role=Role.SYSTEM, content="system words"),
        ChatMessage(role=Role.USER, content="the task"),
        ChatMessage(role=Role.ASSISTANT, content="", tool_calls=calls),
    ]
    for call, result in zip(calls, results, strict=False):
        messages.append(
            ChatMessage(role=Role.TOOL, content=result, tool_call_id=call.id, name=call.name)
        )
    return messages


def test_valid_ids_are_kept_and_others_mapped_to_stable_valid_ones() -> None:
    assert wire_id("a1B2c3D4e") == "a1B2c3D4e"
    for odd in ("call_0_execute_bash_cmpl-9f", "chatcmpl-tool-1234", "", "null"):
        mapped = wire_id(odd)
        assert is_valid_tool_call_id(mapped)
        assert wire_id(odd) == mapped  # the same every turn: calls and results still match
    assert wire_id("chatcmpl-tool-1") != wire_id("chatcmpl-tool-2")


def test_assistant_calls_and_results_for_a_native_server() -> None:
    call = ToolCall(id="vllm-call-0001", name="execute_bash", arguments={"command": "ls  -la"})
    wire = native_messages(_conversation(call, results=("file_a\nfile_b",)))
    assert [m["role"] for m in wire] == ["system", "user", "assistant", "tool"]
    assistant = wire[2]
    assert assistant["content"] == ""  # a string, never null
    [sent] = assistant["tool_calls"]
    assert sent["type"] == "function" and sent["function"]["name"] == "execute_bash"
    assert json.loads(sent["function"]["arguments"]) == {"command": "ls  -la"}
    assert wire[3] == {"role": "tool", "tool_call_id": sent["id"], "content": "file_a\nfile_b"}


def test_unparseable_arguments_are_never_sent_back_verbatim() -> None:
    broken = ToolCall(id="a1B2c3D4e", name="think", raw_arguments='{"thought": "unterminated')
    wire = native_messages(_conversation(broken, results=("not JSON",)))
    arguments = wire[2]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(arguments) == {}
    assert "unterminated" not in json.dumps(wire)


def test_a_plain_assistant_message_has_no_tool_calls_key() -> None:
    wire = native_messages([ChatMessage(role=Role.ASSISTANT, content="hello")])
    assert wire == [{"role": "assistant", "content": "hello"}]


def test_text_format_describes_tools_and_turns_results_into_user_text() -> None:
    first = ToolCall(id="a1B2c3D4e", name="execute_bash", arguments={"command": "pwd"})
    second = ToolCall(id="b1B2c3D4e", name="think", arguments={"thought": "two\nlines"})
    messages = [
        *_conversation(first, second, results=("/work", "ok")),
        ChatMessage(role=Role.USER, content="carry on"),
    ]
    wire = text_format_messages(messages, TOOLS)
    assert [m["role"] for m in wire] == ["system", "user", "assistant", "user"]
    assert wire[0]["content"].startswith("system words")
    for name in ("execute_bash", "str_replace_editor", "think", "finish"):
        assert name in wire[0]["content"]
    parsed = parse_text_tool_calls(wire[2]["content"], schemas=TOOLS)
    assert parsed is not None
    assert [(c.name, c.arguments) for c in parsed.tool_calls] == [
        ("execute_bash", {"command": "pwd"}),
        ("think", {"thought": "two\nlines"}),
    ]
    results = wire[3]["content"]
    assert results.startswith("EXECUTION RESULT of [execute_bash]:\n/work")
    assert "EXECUTION RESULT of [think]:\nok" in results
    assert results.endswith("carry on")


def _png(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200)))
    return path


def test_images_become_data_urls_on_the_first_user_message_only(tmp_path: Path) -> None:
    image = _png(tmp_path / "screen.PNG")
    messages = [
        ChatMessage(role=Role.SYSTEM, content="s"),
        ChatMessage(role=Role.USER, content="what is this?"),
        ChatMessage(role=Role.ASSISTANT, content="a picture"),
        ChatMessage(role=Role.USER, content="and now?"),
    ]
    wire = native_messages(messages, [image])
    text, picture = wire[1]["content"]
    assert text == {"type": "text", "text": "what is this?"}
    prefix, encoded = picture["image_url"]["url"].split(",", 1)
    assert prefix == "data:image/png;base64"
    assert base64.b64decode(encoded) == image.read_bytes()
    assert wire[3]["content"] == "and now?"


def test_bad_images_are_refused_with_the_file_named(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"missing\.png"):
        image_part(tmp_path / "missing.png")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    with pytest.raises(ImageError, match=r"notes\.txt: not a supported image type"):
        image_part(notes)


def test_a_backend_without_image_support_refuses_images(tmp_path: Path) -> None:
    replay = ReplayBackend([], model_name="replay")
    with pytest.raises(ImageError, match="--image needs a remote model"):
        attach_task_images(replay, [_png(tmp_path / "a.png")])


def _results_with_image(image: Path, then: ChatMessage | None) -> list[ChatMessage]:
    shot = ToolCall(id="a1B2c3D4e", name="mcp__web__screenshot", arguments={})
    bash = ToolCall(id="f5G6h7J8k", name="execute_bash", arguments={"command": "ls"})
    messages = _conversation(shot, bash, results=("[image, image/png, 208 bytes]", "a.txt"))
    messages[3] = messages[3].model_copy(update={"images": (str(image),)})
    return messages + ([then] if then is not None else [])


def test_images_a_tool_returned_follow_the_run_of_results(tmp_path: Path) -> None:
    image = _png(tmp_path / "shot.png")
    wire = native_messages(
        _results_with_image(image, ChatMessage(role=Role.ASSISTANT, content="I see a cat."))
    )
    roles = [m["role"] for m in wire]
    assert roles == ["system", "user", "assistant", "tool", "tool", "user", "assistant"]
    label, picture = wire[5]["content"]
    assert label == {"type": "text", "text": "The image returned by `mcp__web__screenshot`:"}
    assert base64.b64decode(picture["image_url"]["url"].split(",", 1)[1]) == image.read_bytes()
    assert wire[3]["content"] == "[image, image/png, 208 bytes]"  # the result keeps its text


def test_a_user_message_after_tool_images_joins_them(tmp_path: Path) -> None:
    image = _png(tmp_path / "shot.png")
    wire = native_messages(
        _results_with_image(image, ChatMessage(role=Role.USER, content="Please go on."))
    )
    assert [m["role"] for m in wire] == ["system", "user", "assistant", "tool", "tool", "user"]
    assert wire[-1]["content"][-1] == {"type": "text", "text": "Please go on."}


def test_an_image_no_longer_on_disk_is_named_and_the_request_still_goes(tmp_path: Path) -> None:
    gone = tmp_path / "gone.png"
    wire = native_messages(_results_with_image(gone, None))
    _label, note = wire[-1]["content"]
    assert (
        note["type"] == "text" and "image not sent" in note["text"] and "gone.png" in note["text"]
    )


def test_a_later_user_message_carries_its_own_images(tmp_path: Path) -> None:
    first, later = _png(tmp_path / "first.png"), _png(tmp_path / "later.png")
    messages = [
        ChatMessage(role=Role.SYSTEM, content="s"),
        ChatMessage(role=Role.USER, content="one", images=(str(first),)),
        ChatMessage(role=Role.ASSISTANT, content="ok"),
        ChatMessage(role=Role.USER, content="two", images=(str(later),)),
    ]
    for wire in (native_messages(messages), text_format_messages(messages, TOOLS)):
        assert [part["type"] for part in wire[1]["content"]] == ["text", "image_url"]
        assert [part["type"] for part in wire[3]["content"]] == ["text", "image_url"]


def test_the_text_format_puts_tool_images_beside_the_result(tmp_path: Path) -> None:
    image = _png(tmp_path / "shot.png")
    wire = text_format_messages(_results_with_image(image, None), TOOLS)
    assert [m["role"] for m in wire] == ["system", "user", "assistant", "user"]
    kinds = [part["type"] for part in wire[-1]["content"]]
    assert kinds == ["text", "image_url", "text"]  # the screenshot's result, its image, then ls
