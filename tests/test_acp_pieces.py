"""The ACP adapter's pure pieces: plans read from the model's words, prompt blocks, call views."""

import base64
from pathlib import Path

import pytest
from acp import RequestError, image_block, resource_block, resource_link_block, text_block
from acp.helpers import embedded_text_resource
from acp.schema import AudioContentBlock

from devcli.acp import call_view
from devcli.acp.plan import stated_plan
from devcli.acp.prompt_blocks import read_prompt
from devcli.acp.updates import UpdateTranslator
from devcli.events import AssistantTurn, Observation
from devcli.llm.tool_call_json import make_tool_call


def test_a_checklist_is_a_plan_with_its_ticks() -> None:
    plan = stated_plan("Steps:\n- [x] read the code\n* [ ] fix it\n1. [X] also\n", False)
    assert plan is not None
    assert [(e.content, e.status) for e in plan] == [
        ("read the code", "completed"),
        ("fix it", "pending"),
        ("also", "completed"),
    ]


def test_numbered_lists_count_only_where_asked() -> None:
    text = "First I will:\n1. run the tests\n2) read the failure\n"
    assert stated_plan(text, numbered_lists_count=False) is None
    plan = stated_plan(text, numbered_lists_count=True)
    assert plan is not None and [e.content for e in plan] == ["run the tests", "read the failure"]


def test_one_item_or_prose_is_no_plan() -> None:
    assert stated_plan("- [ ] just this", True) is None
    assert stated_plan("I looked at the code and it is fine.", True) is None


def test_prompt_blocks_become_one_message() -> None:
    prompt = read_prompt(
        [
            text_block("Fix the bug"),
            resource_block(embedded_text_resource("file:///repo/a%20b.py", "x = 1\n")),
            resource_link_block("c.py", "file:///repo/c.py"),
        ]
    )
    assert prompt.text == (
        "Fix the bug\n\nFiles the user attached:\n\n"
        '<file path="/repo/a b.py">\nx = 1\n</file>\n\nThe user refers to:\n- /repo/c.py'
    )
    assert prompt.images == []


def test_prompt_images_are_decoded_and_bad_ones_refused() -> None:
    png = b"\x89PNG\r\n\x1a\n"
    prompt = read_prompt([image_block(base64.b64encode(png).decode(), "image/png")])
    assert [(i.data, i.mime_type) for i in prompt.images] == [(png, "image/png")]
    with pytest.raises(RequestError):
        read_prompt([image_block("not base64!", "image/png")])
    with pytest.raises(RequestError):
        read_prompt([AudioContentBlock(type="audio", data="", mime_type="audio/wav")])
    with pytest.raises(RequestError):
        read_prompt([text_block("   ")])


def test_call_kinds() -> None:
    def kind(name: str, **arguments: object) -> str:
        return call_view.kind(make_tool_call(name, dict(arguments)))

    assert kind("execute_bash", command="pytest -x") == "execute"
    assert kind("execute_bash", command="grep -rn TODO .") == "search"
    assert kind("execute_bash", command="git grep TODO") == "search"
    assert kind("str_replace_editor", command="view", path="/a") == "read"
    assert kind("str_replace_editor", command="insert", path="/a") == "edit"
    assert kind("think", thought="hmm") == "think"
    assert kind("git", operation="log") == "read"
    assert kind("git", operation="commit") == "other"
    assert kind("finish", message="x", task_completed="true") == "other"


def test_fences_outlast_backticks_in_the_output() -> None:
    fenced = call_view.fenced("a ```` b")
    assert fenced.startswith("`````\n") and fenced.endswith("\n`````")


def test_a_failed_command_and_an_edit_result(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("one\ntwo\n")
    edit = make_tool_call(
        "str_replace_editor",
        {"command": "str_replace", "path": str(target), "old_str": "two", "new_str": "2"},
    )
    run = make_tool_call("execute_bash", {"command": "false"})
    translator = UpdateTranslator(tmp_path, lambda path: path.read_text())
    translator.recorded(AssistantTurn(tool_calls=(edit, run)))
    assert translator.waiting_call() == edit
    (started,) = translator.started(edit)
    (diff,) = started.content or []
    assert (diff.old_text, diff.new_text) == ("one\ntwo\n", "one\n2\n")
    (done,) = translator.recorded(
        Observation(tool_call_id=edit.id, name=edit.name, content="Edited.")
    )
    assert done.status == "completed" and done.content == [diff]
    assert translator.waiting_call() == run
    (failed,) = translator.recorded(
        Observation(tool_call_id=run.id, name=run.name, content="[exit code 1]", exit_code=1)
    )
    assert failed.status == "failed"
    assert translator.waiting_call() is None
