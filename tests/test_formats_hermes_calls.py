"""Hermes/Qwen tool calls (`<tool_call>{json}</tool_call>`) read into exact calls, with and
without their tags, through the same entry point servers' replies and local models use."""

import json
from pathlib import Path
from typing import Any

import pytest

from devcli.ids import is_valid_tool_call_id
from devcli.llm.formats.hermes_calls import parse_hermes_calls
from devcli.llm.formats.text_calls import parse_text_tool_calls
from devcli.tools.base import ArgumentError
from devcli.tools.registry import ToolBox
from tests.support.call_cases import RAW, Case, by_case, calls_read

NAMES = ("execute_bash", "str_replace_editor", "think", "finish")
INDENTED = "def f():\n" + " " * 64 + "return {'a': [1, 2]}\n"
UNICODE = "café ✓ 日本語 🚀 — naïve"


def block(name: str, arguments: Any, key: str = "arguments") -> str:
    body = json.dumps({"name": name, key: arguments}, ensure_ascii=False)
    return f"<tool_call>\n{body}\n</tool_call>"


CREATE = {"command": "create", "path": "/r/f.py", "file_text": INDENTED}
NESTED = {"thought": {"plan": [{"step": 1, "done": False}, {"step": 2, "note": None}]}}

CASES: list[Case] = [
    (
        "tags, one call",
        block("execute_bash", {"command": "ls -la"}),
        "",
        [("execute_bash", {"command": "ls -la"})],
    ),
    (
        "tags without newlines",
        '<tool_call>{"name": "think", "arguments": {"thought": "x"}}</tool_call>',
        "",
        [("think", {"thought": "x"})],
    ),
    (
        "no tags",
        json.dumps({"name": "execute_bash", "arguments": {"command": "pytest -x"}}),
        "",
        [("execute_bash", {"command": "pytest -x"})],
    ),
    (
        "no tags, prose before",
        'I will run the tests.\n{"name": "execute_bash", "arguments": {"command": "pytest"}}',
        "I will run the tests.",
        [("execute_bash", {"command": "pytest"})],
    ),
    (
        "several calls",
        block("think", {"thought": "first"}) + "\n" + block("execute_bash", {"command": "pwd"}),
        "",
        [("think", {"thought": "first"}), ("execute_bash", {"command": "pwd"})],
    ),
    (
        "several calls without tags",
        '{"name": "think", "arguments": {"thought": "a"}}\n'
        '{"name": "think", "arguments": {"thought": "b"}}',
        "",
        [("think", {"thought": "a"}), ("think", {"thought": "b"})],
    ),
    (
        "prose before",
        "Let me look at the file first.\n\n" + block("str_replace_editor", {"command": "view"}),
        "Let me look at the file first.",
        [("str_replace_editor", {"command": "view"})],
    ),
    (
        "prose after stays content",
        block("think", {"thought": "t"}) + "\nThat is my plan.",
        "That is my plan.",
        [("think", {"thought": "t"})],
    ),
    (
        "truncated json",
        '<tool_call>\n{"name": "execute_bash", "arguments": {"command": "ls',
        "",
        [("execute_bash", RAW)],
    ),
    (
        "truncated json without tags",
        'Running it.\n{"name": "execute_bash", "arguments": {"command": "ls',
        "Running it.",
        [("execute_bash", RAW)],
    ),
    (
        "closing tag missing",
        '<tool_call>\n{"name": "think", "arguments": {"thought": "ok"}}',
        "",
        [("think", {"thought": "ok"})],
    ),
    (
        "second call truncated",
        block("think", {"thought": "ok"}) + '\n<tool_call>\n{"name": "finish", "argu',
        "",
        [("think", {"thought": "ok"}), ("finish", RAW)],
    ),
    ("nested json in arguments", block("think", NESTED), "", [("think", NESTED)]),
    (
        "braces and tags inside values",
        block("execute_bash", {"command": "echo '}</tool_call><tool_call>{' && echo {"}),
        "",
        [("execute_bash", {"command": "echo '}</tool_call><tool_call>{' && echo {"})],
    ),
    (
        "64-space indented line",
        block("str_replace_editor", CREATE),
        "",
        [("str_replace_editor", CREATE)],
    ),
    ("unicode", block("think", {"thought": UNICODE}), "", [("think", {"thought": UNICODE})]),
    (
        "unicode escapes",
        '<tool_call>{"name": "think", "arguments": {"thought": "\\u00e9\\ud83d\\ude80"}}'
        "</tool_call>",
        "",
        [("think", {"thought": "é🚀"})],
    ),
    (
        "arguments as a JSON string",
        '<tool_call>{"name": "execute_bash", "arguments": "{\\"command\\": \\"ls\\"}"}</tool_call>',
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "parameters key inside tags",
        block("execute_bash", {"command": "ls"}, key="parameters"),
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "arguments not an object",
        '<tool_call>{"name": "think", "arguments": [1, 2]}</tool_call>',
        "",
        [("think", RAW)],
    ),
    (
        "a list of calls in one block",
        '<tool_call>[{"name": "think", "arguments": {"thought": "a"}}, '
        '{"name": "finish", "arguments": {"message": "m", "task_completed": "true"}}]</tool_call>',
        "",
        [("think", {"thought": "a"}), ("finish", {"message": "m", "task_completed": "true"})],
    ),
    (
        "end of turn marker left by a server",
        block("think", {"thought": "x"}) + "<|im_end|>",
        "",
        [("think", {"thought": "x"})],
    ),
    (
        "xml body inside the tags",
        "<tool_call>\n<function=execute_bash>\n<parameter=command>\nls\n</parameter>\n"
        "</function>\n</tool_call>",
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    ("no json at all inside the tags", "<tool_call>\nrun the tests\n</tool_call>", "", [("", RAW)]),
]


@by_case(CASES)
def test_hermes_text_is_read(text: str, content: str, expected: list[tuple[str, Any]]) -> None:
    parsed = parse_text_tool_calls(text, NAMES)
    assert parsed is not None
    assert parsed.content == content
    assert calls_read(parsed) == expected
    assert all(is_valid_tool_call_id(call.id) for call in parsed.tool_calls)
    assert len({call.id for call in parsed.tool_calls}) == len(parsed.tool_calls)


@pytest.mark.parametrize(
    "text",
    [
        "The answer is 42.",
        'An example: {"name": "think", "arguments": {}} is how a call looks, but not now.',
        "Write <tool_call> tags around calls.".replace("<tool_call>", "`tool_call`"),
        'The config is {"name": "x", "value": 1}.',
    ],
)
def test_replies_that_make_no_call(text: str) -> None:
    assert parse_text_tool_calls(text, NAMES) is None


def test_truncated_call_keeps_its_raw_text_and_is_reported_to_the_model(tmp_path: Path) -> None:
    text = '<tool_call>\n{"name": "execute_bash", "arguments": {"command": "ls -'
    parsed = parse_hermes_calls(text)
    assert parsed is not None
    call = parsed.tool_calls[0]
    assert call.arguments == {}
    assert call.raw_arguments == '{"name": "execute_bash", "arguments": {"command": "ls -'
    toolbox = ToolBox.default(tmp_path)
    try:
        with pytest.raises(ArgumentError, match="not a valid JSON object"):
            toolbox.prepare(call)
    finally:
        toolbox.close()


def test_a_created_file_gets_exactly_the_text_of_the_call(tmp_path: Path) -> None:
    target = tmp_path / "deep.py"
    text_of_file = INDENTED + "\t\ttabs\r\nCRLF " + UNICODE + "\n}\n</tool_call>\n"
    arguments = {"command": "create", "path": str(target), "file_text": text_of_file}
    parsed = parse_text_tool_calls("Creating it.\n" + block("str_replace_editor", arguments))
    assert parsed is not None and len(parsed.tool_calls) == 1
    toolbox = ToolBox.default(tmp_path)
    try:
        tool, args = toolbox.prepare(parsed.tool_calls[0])
        tool.execute(args)
    finally:
        toolbox.close()
    assert target.read_bytes() == text_of_file.encode("utf-8")
