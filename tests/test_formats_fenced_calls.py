"""Calls a model wrapped in a Markdown fence that closes its reply are run; fences that show
an example, hold code, or are followed by more prose stay text."""

import json
from typing import Any

import pytest

from devcli.llm.formats.text_calls import parse_text_tool_calls

NAMES = ("execute_bash", "str_replace_editor", "think", "finish")


def fenced(*objects: dict[str, Any], info: str = "json", before: str = "") -> str:
    body = "\n".join(json.dumps(item) for item in objects)
    return f"{before}```{info}\n{body}\n```"


BASH = {"name": "execute_bash", "arguments": {"command": "pytest -q"}}
FINISH = {"name": "finish", "parameters": {"message": "done"}}


@pytest.mark.parametrize(
    ("text", "content", "expected"),
    [
        (fenced(BASH), "", [("execute_bash", {"command": "pytest -q"})]),
        (
            fenced(BASH, before="I will run the tests first.\n\n"),
            "I will run the tests first.",
            [("execute_bash", {"command": "pytest -q"})],
        ),
        (fenced(FINISH, info=""), "", [("finish", {"message": "done"})]),
        (
            fenced(BASH, info="tool_call") + "<|im_end|>",
            "",
            [("execute_bash", {"command": "pytest -q"})],
        ),
        (
            fenced(BASH, FINISH),
            "",
            [("execute_bash", {"command": "pytest -q"}), ("finish", {"message": "done"})],
        ),
        (
            "Earlier:\n```python\nprint('x')\n```\nNow:\n" + fenced(BASH),
            "Earlier:\n```python\nprint('x')\n```\nNow:",
            [("execute_bash", {"command": "pytest -q"})],
        ),
    ],
    ids=["alone", "after prose", "plain fence", "tag as language", "two calls", "after code"],
)
def test_a_closing_fence_of_calls_is_read(
    text: str, content: str, expected: list[tuple[str, Any]]
) -> None:
    parsed = parse_text_tool_calls(text, NAMES)
    assert parsed is not None
    assert parsed.content == content
    assert [(call.name, call.arguments) for call in parsed.tool_calls] == expected


@pytest.mark.parametrize(
    "text",
    [
        # An example of some other API's call, not a tool this session offers.
        fenced({"name": "get_weather", "arguments": {"city": "Paris"}}, before="Call it so:\n"),
        # One known tool beside an unknown one: the block is an example as a whole.
        fenced(BASH, {"name": "get_weather", "arguments": {}}),
        # Prose after the fence: the reply goes on, so the block was shown, not called.
        fenced(BASH) + "\nThat is how you would run them.",
        # A fence of code, not of calls.
        "Run this:\n```bash\npytest -q\n```",
        # JSON that is not a call.
        fenced({"name": "execute_bash", "version": 2}),
        # Backticks on the same line as the opener's text: not a fence.
        'The call `{"name": "finish"}```',
    ],
    ids=["unknown tool", "mixed", "prose after", "code", "not a call", "inline"],
)
def test_fences_that_make_no_call_stay_text(text: str) -> None:
    assert parse_text_tool_calls(text, NAMES) is None


def test_without_known_tools_a_fence_is_never_a_call() -> None:
    assert parse_text_tool_calls(fenced(BASH), ()) is None
