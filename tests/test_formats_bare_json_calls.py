"""Llama 3.x tool calls (`{"name": ..., "parameters": {...}}`, optionally after
`<|python_tag|>`) read into exact calls, and the replies that only look like them."""

import json
from pathlib import Path
from typing import Any

import pytest

from devcli.ids import is_valid_tool_call_id
from devcli.llm.formats.bare_json_calls import parse_bare_json_calls
from devcli.llm.formats.text_calls import parse_text_tool_calls
from devcli.tools.registry import ToolBox
from tests.support.call_cases import RAW, Case, by_case, calls_read

NAMES = ("execute_bash", "str_replace_editor", "think", "finish")
INDENTED = "class A:\n    def f(self):\n" + " " * 64 + "return [x for x in range(3)]\n"
UNICODE = "Grüße — 東京 ✓ 🚀"


def call(name: str, parameters: Any) -> str:
    return json.dumps({"name": name, "parameters": parameters}, ensure_ascii=False)


CREATE = {"command": "create", "path": "/r/a.py", "file_text": INDENTED}
NESTED = {"thought": {"a": {"b": [1, {"c": None, "d": [True, 2.5]}]}}}

CASES: list[Case] = [
    (
        "one call",
        call("execute_bash", {"command": "ls"}),
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "python tag",
        "<|python_tag|>" + call("execute_bash", {"command": "ls"}),
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "python tag and end of message marker",
        "<|python_tag|>" + call("think", {"thought": "x"}) + "<|eom_id|>",
        "",
        [("think", {"thought": "x"})],
    ),
    (
        "compact json",
        '{"name":"execute_bash","parameters":{"command":"pwd"}}',
        "",
        [("execute_bash", {"command": "pwd"})],
    ),
    (
        "prose before",
        "Let me check the tests.\n\n" + call("execute_bash", {"command": "pytest -q"}),
        "Let me check the tests.",
        [("execute_bash", {"command": "pytest -q"})],
    ),
    (
        "several calls on lines",
        call("think", {"thought": "1"}) + "\n" + call("think", {"thought": "2"}),
        "",
        [("think", {"thought": "1"}), ("think", {"thought": "2"})],
    ),
    (
        "several calls separated by semicolons",
        call("think", {"thought": "1"}) + "; " + call("execute_bash", {"command": "ls"}),
        "",
        [("think", {"thought": "1"}), ("execute_bash", {"command": "ls"})],
    ),
    (
        "a list of calls",
        "[" + call("think", {"thought": "a"}) + ", " + call("think", {"thought": "b"}) + "]",
        "",
        [("think", {"thought": "a"}), ("think", {"thought": "b"})],
    ),
    (
        "truncated",
        '{"name": "execute_bash", "parameters": {"command": "echo hel',
        "",
        [("execute_bash", RAW)],
    ),
    (
        "second call truncated",
        call("think", {"thought": "ok"}) + '\n{"name": "finish", "parameters": {"mess',
        "",
        [("think", {"thought": "ok"}), ("finish", RAW)],
    ),
    ("nested json", call("think", NESTED), "", [("think", NESTED)]),
    (
        "braces in values",
        call("execute_bash", {"command": "awk '{print $1}' f | grep '}'"}),
        "",
        [("execute_bash", {"command": "awk '{print $1}' f | grep '}'"})],
    ),
    (
        "64-space indented line",
        call("str_replace_editor", CREATE),
        "",
        [("str_replace_editor", CREATE)],
    ),
    ("unicode", call("think", {"thought": UNICODE}), "", [("think", {"thought": UNICODE})]),
    (
        "parameters as a JSON string",
        '{"name": "execute_bash", "parameters": "{\\"command\\": \\"ls\\"}"}',
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "parameters not an object",
        '{"name": "think", "parameters": "just words"}',
        "",
        [("think", RAW)],
    ),
    (
        "empty parameters",
        '{"name": "finish", "parameters": {}}',
        "",
        [("finish", {})],
    ),
]


@by_case(CASES)
def test_llama3_text_is_read(text: str, content: str, expected: list[tuple[str, Any]]) -> None:
    parsed = parse_text_tool_calls(text, NAMES)
    assert parsed is not None
    assert parsed.content == content
    assert calls_read(parsed) == expected
    assert all(is_valid_tool_call_id(found.id) for found in parsed.tool_calls)


@pytest.mark.parametrize(
    "text",
    [
        'Use {"name": "think", "parameters": {"thought": "x"}} when you want to think.',
        '{"name": "think", "parameters": {}} and then some more prose',
        '{"name": "x", "value": 1}',
        '{"title": "a", "parameters": {}}',
        "[1, 2, 3]",
        "",
    ],
)
def test_objects_that_are_not_calls_at_the_end(text: str) -> None:
    assert parse_bare_json_calls(text) is None
    assert parse_text_tool_calls(text, NAMES) is None


def test_the_raw_text_of_a_truncated_call_is_kept_whole() -> None:
    text = 'I will look.\n{"name": "execute_bash", "parameters": {"command": "ls -'
    parsed = parse_bare_json_calls(text)
    assert parsed is not None and parsed.content == "I will look."
    broken = parsed.tool_calls[0]
    assert broken.name == "execute_bash" and broken.arguments == {}
    assert broken.raw_arguments == '{"name": "execute_bash", "parameters": {"command": "ls -'


def test_a_created_file_gets_exactly_the_text_of_the_call(tmp_path: Path) -> None:
    target = tmp_path / "pkg" / "mod.py"
    target.parent.mkdir()
    body = INDENTED + UNICODE + '\n{"name": "not a call"}\n'
    text = call("str_replace_editor", {"command": "create", "path": str(target), "file_text": body})
    parsed = parse_text_tool_calls("<|python_tag|>" + text)
    assert parsed is not None and len(parsed.tool_calls) == 1
    toolbox = ToolBox.default(tmp_path)
    try:
        tool, args = toolbox.prepare(parsed.tool_calls[0])
        tool.execute(args)
    finally:
        toolbox.close()
    assert target.read_text(encoding="utf-8") == body
