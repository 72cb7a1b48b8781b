"""The tools the model is offered when MCP servers run: the tests' own server over stdio and
over HTTP, started in-process the way a session starts them, beside devcli's own tools."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mistral_common.protocol.instruct.messages import UserMessage
from mistral_common.protocol.instruct.request import ChatCompletionRequest
from mistral_common.protocol.instruct.tool_calls import Tool as MistralTool
from mistral_common.protocol.instruct.validator import (
    MistralRequestValidatorV13,
    ValidationMode,
)

from devcli.agent.approval import ApprovalHook, ApprovalMode
from devcli.agent.assembly import attach_mcp_tools
from devcli.config import Settings
from devcli.events import ToolCall
from devcli.mcp.tool import McpTool
from devcli.tools.registry import ToolBox
from tests.support.mcp_servers import is_running, running_http_server, started_pids, stdio_server

DEVCLI_TOOLS = ["execute_bash", "str_replace_editor", "think", "finish", "git"]


@pytest.fixture
def toolbox(git_repo: Path, tmp_path: Path) -> Iterator[tuple[ToolBox, list[str]]]:
    notices: list[str] = []
    with running_http_server(git_repo, tmp_path / "http.pids", tmp_path / "http.log") as url:
        settings = Settings(
            mcp_servers={
                "files.local": stdio_server(git_repo, tmp_path / "stdio.pids", trust=True),
                "web": {"url": url, "tools": ["echo.upper", "plan", "no_such_tool"]},
            }
        )
        box = ToolBox.default(git_repo, settings)
        attach_mcp_tools(box, settings, git_repo, notices.append)
        try:
            yield box, notices
        finally:
            box.close()
    assert not any(is_running(pid) for pid in started_pids(tmp_path / "stdio.pids"))


def by_name(schemas: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {schema["function"]["name"]: schema["function"] for schema in schemas}


def test_server_tools_are_offered_beside_devcli_s_own(toolbox: tuple[ToolBox, list[str]]) -> None:
    box, notices = toolbox
    offered = by_name(box.schemas())
    stdio_tools = [f"mcp__files_local__{name}" for name in ("write_file", "fail", "sleep", "crash")]
    assert list(offered)[: len(DEVCLI_TOOLS)] == DEVCLI_TOOLS
    assert set(stdio_tools) <= set(offered)
    assert "mcp__files_local__echo_upper" in offered  # `echo.upper`, cleaned
    # The allow-list keeps two of the HTTP server's tools and names the one it lacks.
    assert sorted(n for n in offered if n.startswith("mcp__web__")) == [
        "mcp__web__echo_upper",
        "mcp__web__plan",
    ]
    assert notices == [
        "MCP server `web` has no tool named `no_such_tool` (its `tools` setting lists it)"
    ]
    write = offered["mcp__files_local__write_file"]
    assert write["description"].startswith("Write a text file inside the repository.")
    assert write["parameters"] == {
        "type": "object",
        "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
        "required": ["path", "content"],
    }
    assert offered["mcp__files_local__crash"]["parameters"] == {"type": "object", "properties": {}}


def test_a_nested_schema_is_inlined_and_accepted_by_mistral_common(
    toolbox: tuple[ToolBox, list[str]],
) -> None:
    box, _ = toolbox
    plan = by_name(box.schemas())["mcp__web__plan"]["parameters"]
    assert "$defs" not in plan and "$ref" not in str(plan)
    step = plan["properties"]["steps"]["items"]
    assert step["properties"]["minutes"] == {"minimum": 1, "type": "integer"}
    assert plan["properties"]["note"] == {"type": "string"}
    # The whole request, with every tool, passes mistral-common's own checks (v13).
    request = ChatCompletionRequest(
        messages=[UserMessage(content="hello")],
        tools=[MistralTool.model_validate(schema) for schema in box.schemas()],
    )
    MistralRequestValidatorV13(ValidationMode.test).validate_request(request)


def test_arguments_are_checked_against_the_server_schema(
    toolbox: tuple[ToolBox, list[str]],
) -> None:
    box, _ = toolbox
    call = ToolCall(
        id="a1B2c3D4e", name="mcp__web__plan", arguments={"steps": [{"title": "x"}], "when": 1}
    )
    with pytest.raises(ValueError) as problem:
        box.prepare(call)
    assert str(problem.value) == (
        "Invalid arguments for `mcp__web__plan`: unknown parameter `when`; "
        "missing required parameter `steps.0.minutes`."
    )
    tool, args = box.prepare(
        ToolCall(id="b1B2c3D4e", name="mcp__web__plan", arguments={"steps": []})
    )
    assert tool.execute(args).content == "0 steps, 0 minutes"


def test_only_a_trusted_server_runs_without_asking(
    toolbox: tuple[ToolBox, list[str]], git_repo: Path
) -> None:
    box, _ = toolbox
    trusted = box.tools["mcp__files_local__echo_upper"]
    asks = box.tools["mcp__web__echo_upper"]
    assert isinstance(trusted, McpTool) and isinstance(asks, McpTool)
    for mode in (ApprovalMode.ASK, ApprovalMode.AUTO_EDIT):
        hook = ApprovalHook(mode, git_repo, prompt=None)
        for tool, refused in ((trusted, False), (asks, True)):
            call = ToolCall(id="c1B2c3D4e", name=tool.name, arguments={"text": "x"})
            refusal = hook.before(call, tool, tool.parse_arguments({"text": "x"}))
            assert (refusal is not None) is refused, (mode, tool.name)
    auto = ApprovalHook(ApprovalMode.AUTO, git_repo, prompt=None)
    call = ToolCall(id="d1B2c3D4e", name=asks.name, arguments={"text": "x"})
    assert auto.before(call, asks, asks.parse_arguments({"text": "x"})) is None
