"""A server's tool as one of devcli's tools: a name, a description, a schema, a call."""

from typing import Any, Protocol

from mcp.types import CallToolResult
from pydantic import Field

from devcli.mcp.arguments import ArgumentChecker
from devcli.mcp.connection import RemoteTool
from devcli.mcp.manager import McpCallError
from devcli.mcp.results import tool_result
from devcli.mcp.schema import model_schema
from devcli.paths import tool_images_dir
from devcli.tool_schema import FunctionSpec, ToolSchema
from devcli.tools.base import Tool, ToolArgs, ToolResult

MAX_DESCRIPTION_CHARS = 2_000


class McpArguments(ToolArgs):
    """The arguments as the model sent them, already checked against the server's schema."""

    values: dict[str, Any] = Field(default_factory=dict)


class ToolCaller(Protocol):
    def call(self, server: str, tool: str, arguments: dict[str, Any]) -> CallToolResult: ...


class McpTool(Tool[McpArguments]):
    args_model = McpArguments

    def __init__(
        self, name: str, server: str, remote: RemoteTool, caller: ToolCaller, trusted: bool
    ) -> None:
        self.name = name
        self.server = server
        self.remote = remote
        self.caller = caller
        self.runs_without_approval = trusted
        self._parameters = model_schema(remote.input_schema)
        self._checker = ArgumentChecker(name, remote.input_schema)

    def description(self) -> str:
        text = self.remote.description.strip() or f"The `{self.remote.name}` tool."
        if len(text) > MAX_DESCRIPTION_CHARS:
            text = text[: MAX_DESCRIPTION_CHARS - 1].rstrip() + "…"
        return f"{text}\n(`{self.remote.name}` of the MCP server `{self.server}`.)"

    def schema(self, compact: bool = False) -> ToolSchema:
        description = self.description()
        parameters = self._parameters
        if compact:
            first = self.remote.description.strip().split("\n")[0].split(". ")[0].strip()
            description = (first.rstrip(".") + ".") if first else description
            parameters = {
                **parameters,
                "properties": {
                    name: {k: v for k, v in prop.items() if k != "description"}
                    for name, prop in parameters["properties"].items()
                },
            }
        return ToolSchema(
            function=FunctionSpec(name=self.name, description=description, parameters=parameters)
        )

    def parse_arguments(self, arguments: dict[str, Any]) -> McpArguments:
        self._checker.check(arguments)
        return McpArguments(values=arguments)

    def execute(self, args: McpArguments) -> ToolResult:
        try:
            answer = self.caller.call(self.server, self.remote.name, args.values)
        except McpCallError as exc:
            return ToolResult(content=str(exc), is_error=True)
        return tool_result(answer, tool_images_dir())
