"""The table of reply texts every tool-call parser must read: Mistral v13/v11/v7 markers,
markers stripped by servers, OpenHands text calls, and replies that make no call."""

import json
from pathlib import Path
from typing import Any

import pytest

from devcli.ids import is_valid_tool_call_id
from devcli.llm.formats.text_calls import parse_text_tool_calls
from devcli.tools.base import ArgumentError
from devcli.tools.registry import ToolBox
from tests.support.call_cases import RAW, by_case, calls_read

NAMES = ("execute_bash", "str_replace_editor", "think", "finish")

# (case id, reply text, expected content, expected calls as (name, arguments or RAW)); an
# expected content of None means the reply makes no call at all.
Case = tuple[str, str, str | None, list[tuple[str, Any]]]
CASES: list[Case] = [
    # v13 / v11 native calls
    (
        "v13 one call",
        '[TOOL_CALLS]execute_bash[ARGS]{"command": "ls"}',
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "v13 end marker",
        '[TOOL_CALLS]think[ARGS]{"thought": "hm"}</s>',
        "",
        [("think", {"thought": "hm"})],
    ),
    (
        "v13 text before",
        'Let me look.\n[TOOL_CALLS]execute_bash[ARGS]{"command": "ls -la"}',
        "Let me look.",
        [("execute_bash", {"command": "ls -la"})],
    ),
    (
        "v13 two calls",
        '[TOOL_CALLS]think[ARGS]{"thought": "a"}[TOOL_CALLS]execute_bash[ARGS]{"command": "pwd"}',
        "",
        [("think", {"thought": "a"}), ("execute_bash", {"command": "pwd"})],
    ),
    (
        "v13 three calls",
        '[TOOL_CALLS]think[ARGS]{"thought": "1"}[TOOL_CALLS]think[ARGS]{"thought": "2"}[TOOL_CALLS'
        ']think[ARGS]{"thought": "3"}',
        "",
        [("think", {"thought": "1"}), ("think", {"thought": "2"}), ("think", {"thought": "3"})],
    ),
    (
        "v13 nested json",
        '[TOOL_CALLS]str_replace_editor[ARGS]{"command": "view", "path": "/a", "view_range": [1, 2'
        "0]}",
        "",
        [("str_replace_editor", {"command": "view", "path": "/a", "view_range": [1, 20]})],
    ),
    (
        "v13 deep nesting",
        '[TOOL_CALLS]think[ARGS]{"thought": {"a": {"b": [1, {"c": null}]}}}',
        "",
        [("think", {"thought": {"a": {"b": [1, {"c": None}]}}})],
    ),
    (
        "v13 [ARGS] inside a value",
        '[TOOL_CALLS]think[ARGS]{"thought": "write [ARGS] then [TOOL_CALLS]"}',
        "",
        [("think", {"thought": "write [ARGS] then [TOOL_CALLS]"})],
    ),
    (
        "v13 brace inside a value",
        '[TOOL_CALLS]execute_bash[ARGS]{"command": "echo \'}\' && echo {"}',
        "",
        [("execute_bash", {"command": "echo '}' && echo {"})],
    ),
    (
        "v13 escaped quotes",
        '[TOOL_CALLS]execute_bash[ARGS]{"command": "grep \\"a}b\\" f"}',
        "",
        [("execute_bash", {"command": 'grep "a}b" f'})],
    ),
    (
        "v13 newlines in value",
        '[TOOL_CALLS]str_replace_editor[ARGS]{"command": "create", "path": "/f.py", "file_text": "'
        'def f():\\n    return {1: 2}\\n"}',
        "",
        [
            (
                "str_replace_editor",
                {
                    "command": "create",
                    "path": "/f.py",
                    "file_text": "def f():\n    return {1: 2}\n",
                },
            )
        ],
    ),
    (
        "v13 unicode",
        '[TOOL_CALLS]think[ARGS]{"thought": "café ✓ 日本語 🚀"}',
        "",
        [("think", {"thought": "café ✓ 日本語 🚀"})],
    ),
    (
        "v13 unicode escapes",
        '[TOOL_CALLS]think[ARGS]{"thought": "\\u00e9\\ud83d\\ude80"}',
        "",
        [("think", {"thought": "é🚀"})],
    ),
    (
        "v13 compact json",
        '[TOOL_CALLS]execute_bash[ARGS]{"command":"ls"}',
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "v13 space after [ARGS]",
        '[TOOL_CALLS]execute_bash[ARGS] {"command": "ls"}',
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "v13 arguments as a JSON string",
        '[TOOL_CALLS]execute_bash[ARGS]"{\\"command\\": \\"ls\\"}"',
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    ("v13 empty arguments", "[TOOL_CALLS]think[ARGS]{}", "", [("think", {})]),
    (
        "v13 truncated json",
        '[TOOL_CALLS]execute_bash[ARGS]{"command": "ls',
        "",
        [("execute_bash", RAW)],
    ),
    ("v13 arguments missing", "[TOOL_CALLS]finish", "", [("finish", RAW)]),
    ("v13 arguments not an object", "[TOOL_CALLS]think[ARGS][1, 2]", "", [("think", RAW)]),
    (
        "v13 second call truncated",
        '[TOOL_CALLS]think[ARGS]{"thought": "ok"}[TOOL_CALLS]execute_bash[ARGS]{"comm',
        "",
        [("think", {"thought": "ok"}), ("execute_bash", RAW)],
    ),
    (
        "v11 call id",
        '[TOOL_CALLS]execute_bash[CALL_ID]abc123XYZ[ARGS]{"command": "ls"}',
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "v11 two calls with ids",
        '[TOOL_CALLS]think[CALL_ID]aaaaaaaaa[ARGS]{"thought": "x"}[TOOL_CALLS]think[CALL_ID]bbbbbb'
        'bbb[ARGS]{"thought": "y"}',
        "",
        [("think", {"thought": "x"}), ("think", {"thought": "y"})],
    ),
    # v7 / v3 JSON lists
    (
        "v7 list",
        '[TOOL_CALLS][{"name": "execute_bash", "arguments": {"command": "ls"}}]',
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "v7 list with ids",
        '[TOOL_CALLS][{"name": "think", "arguments": {"thought": "a"}, "id": "abcdefghi"}, {"name"'
        ': "think", "arguments": {"thought": "b"}, "id": "jklmnopqr"}]',
        "",
        [("think", {"thought": "a"}), ("think", {"thought": "b"})],
    ),
    (
        "v7 arguments as string",
        '[TOOL_CALLS][{"name": "execute_bash", "arguments": "{\\"command\\": \\"ls\\"}"}]',
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "v7 text before",
        'Running it. [TOOL_CALLS] [{"name": "think", "arguments": {"thought": "t"}}]',
        "Running it.",
        [("think", {"thought": "t"})],
    ),
    (
        "v7 truncated list",
        '[TOOL_CALLS][{"name": "execute_bash", "arguments": {"command": "l',
        "",
        [("execute_bash", RAW)],
    ),
    (
        "v7 list without prefix",
        '[{"name": "finish", "arguments": {"message": "done", "task_completed": "true"}}]',
        "",
        [("finish", {"message": "done", "task_completed": "true"})],
    ),
    (
        "v7 list without prefix, text before",
        'Done.\n[{"name": "think", "arguments": {"thought": "}]"}}]',
        "Done.",
        [("think", {"thought": "}]"})],
    ),
    # control tokens stripped by a server
    (
        "stripped name and object",
        'execute_bash{"command": "ls"}',
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "stripped with [ARGS]",
        'execute_bash[ARGS]{"command": "ls"}',
        "",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "stripped, text before",
        'I will list the files.\nexecute_bash{"command": "ls"}',
        "I will list the files.",
        [("execute_bash", {"command": "ls"})],
    ),
    (
        "stripped, two calls",
        'think{"thought": "a"}execute_bash{"command": "b"}',
        "",
        [("think", {"thought": "a"}), ("execute_bash", {"command": "b"})],
    ),
    (
        "stripped, unknown name with [ARGS]",
        'list_files[ARGS]{"path": "/"}',
        "",
        [("list_files", {"path": "/"})],
    ),
    (
        "stripped, [ARGS] in value",
        'think[ARGS]{"thought": "a [ARGS] b"}</s>',
        "",
        [("think", {"thought": "a [ARGS] b"})],
    ),
    # OpenHands text calls
    (
        "openhands one call",
        "<function=execute_bash>\n<parameter=command>ls -la</parameter>\n</function>",
        "",
        [("execute_bash", {"command": "ls -la"})],
    ),
    (
        "openhands text before",
        "I'll check.\n<function=think>\n<parameter=thought>x</parameter>\n</function>",
        "I'll check.",
        [("think", {"thought": "x"})],
    ),
    (
        "openhands cut at stop word",
        "<function=execute_bash>\n<parameter=command>\npytest -x\n</parameter>\n",
        "",
        [("execute_bash", {"command": "pytest -x"})],
    ),
    (
        "openhands multi-line value",
        "<function=str_replace_editor>\n<parameter=command>create</parameter>\n<parameter=path>/a."
        "py</parameter>\n<parameter=file_text>\nimport os\n\nprint(os.getcwd())\n</parameter>\n</f"
        "unction>",
        "",
        [
            (
                "str_replace_editor",
                {
                    "command": "create",
                    "path": "/a.py",
                    "file_text": "import os\n\nprint(os.getcwd())",
                },
            )
        ],
    ),
    (
        "openhands </parameter> inside a value",
        "<function=str_replace_editor>\n<parameter=command>create</parameter>\n<parameter=path>/t."
        "xml</parameter>\n<parameter=file_text>\n<a></parameter></a>\n</parameter>\n</function>",
        "",
        [
            (
                "str_replace_editor",
                {"command": "create", "path": "/t.xml", "file_text": "<a></parameter></a>"},
            )
        ],
    ),
    (
        "openhands json-looking value stays text",
        "<function=execute_bash>\n<parameter=command>echo '{\"a\": [1]}'</parameter>\n</function>",
        "",
        [("execute_bash", {"command": "echo '{\"a\": [1]}'"})],
    ),
    (
        "openhands array value",
        "<function=str_replace_editor>\n<parameter=command>view</parameter>\n<parameter=path>/a</p"
        "arameter>\n<parameter=view_range>[3, 9]</parameter>\n</function>",
        "",
        [("str_replace_editor", {"command": "view", "path": "/a", "view_range": [3, 9]})],
    ),
    (
        "openhands unicode",
        "<function=think>\n<parameter=thought>naïve — 東京</parameter>\n</function>",
        "",
        [("think", {"thought": "naïve — 東京"})],
    ),
    (
        "openhands truncated value",
        "<function=execute_bash>\n<parameter=command>echo hel",
        "",
        [("execute_bash", {"command": "echo hel"})],
    ),
    # no call
    ("plain answer", "The tests pass; nothing to change.", None, []),
    ("empty reply", "", None, []),
    ("json object that is not a call", 'The config is {"name": "x", "value": 1}.', None, []),
    (
        "tool name mentioned in prose",
        "You could use execute_bash to list files, or think first.",
        None,
        [],
    ),
    (
        "tool name then prose",
        'Calling execute_bash{"command": "ls"} would list them, but I will not.',
        None,
        [],
    ),
    ("list that is not calls", "Numbers: [1, 2, 3]", None, []),
]


@by_case(CASES)
def test_reply_text_is_read(
    text: str, content: str | None, expected: list[tuple[str, Any]]
) -> None:
    parsed = parse_text_tool_calls(text, NAMES)
    if content is None:
        assert parsed is None
        return
    assert parsed is not None
    assert parsed.content == content
    assert calls_read(parsed) == expected
    assert all(is_valid_tool_call_id(call.id) for call in parsed.tool_calls)


def test_case_table_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({case[0] for case in CASES}) == len(CASES)


def test_v11_call_ids_are_kept_when_valid() -> None:
    parsed = parse_text_tool_calls('[TOOL_CALLS]think[CALL_ID]abc123XYZ[ARGS]{"thought": "x"}')
    assert parsed is not None and parsed.tool_calls[0].id == "abc123XYZ"
    bad = parse_text_tool_calls('[TOOL_CALLS]think[CALL_ID]null[ARGS]{"thought": "x"}')
    assert bad is not None and is_valid_tool_call_id(bad.tool_calls[0].id)
    assert bad.tool_calls[0].id != "null"


def test_truncated_arguments_keep_the_raw_text() -> None:
    parsed = parse_text_tool_calls('[TOOL_CALLS]execute_bash[ARGS]{"command": "ls -', NAMES)
    assert parsed is not None
    call = parsed.tool_calls[0]
    assert call.arguments == {} and call.raw_arguments == '{"command": "ls -'


def test_truncated_arguments_become_a_clear_error_observation(tmp_path: Path) -> None:
    parsed = parse_text_tool_calls('[TOOL_CALLS]execute_bash[ARGS]{"command": "ls', NAMES)
    assert parsed is not None
    toolbox = ToolBox.default(tmp_path)
    try:
        with pytest.raises(ArgumentError) as problem:
            toolbox.prepare(parsed.tool_calls[0])
    finally:
        toolbox.close()
    message = str(problem.value)
    assert "execute_bash" in message and "not a valid JSON object" in message


def test_openhands_values_are_typed_by_the_schema(tmp_path: Path) -> None:
    toolbox = ToolBox.default(tmp_path)
    schemas = toolbox.schemas()
    text = (
        "<function=str_replace_editor>\n<parameter=command>insert</parameter>\n"
        "<parameter=path>/a</parameter>\n<parameter=insert_line>12</parameter>\n"
        "<parameter=new_str>[not, json</parameter>\n</function>"
    )
    try:
        parsed = parse_text_tool_calls(text, schemas=schemas)
        assert parsed is not None
        arguments = parsed.tool_calls[0].arguments
        assert arguments["insert_line"] == 12
        assert arguments["new_str"] == "[not, json"  # a string parameter is never converted
        toolbox.prepare(parsed.tool_calls[0])  # valid for the real tool
    finally:
        toolbox.close()


def test_openhands_unknown_parameters_are_reported(tmp_path: Path) -> None:
    text = "<function=think>\n<parameter=thought>x</parameter>\n<parameter=mood>calm</parameter>\n"
    parsed = parse_text_tool_calls(text)
    assert parsed is not None
    toolbox = ToolBox.default(tmp_path)
    try:
        with pytest.raises(ArgumentError, match="unknown parameter `mood`"):
            toolbox.prepare(parsed.tool_calls[0])
    finally:
        toolbox.close()


def test_calls_parse_back_to_the_json_they_were_written_from() -> None:
    arguments = {"command": "create", "path": "/x", "file_text": 'a = {"k": "[ARGS]"}\n}\n'}
    text = "[TOOL_CALLS]str_replace_editor[ARGS]" + json.dumps(arguments)
    parsed = parse_text_tool_calls(text)
    assert parsed is not None and parsed.tool_calls[0].arguments == arguments
