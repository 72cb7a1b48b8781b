"""`think`: a place for the model to reason; it changes nothing."""

from pydantic import Field

from devcli.tools.base import Tool, ToolArgs, ToolResult


class ThinkArgs(ToolArgs):
    thought: str = Field(description="The reasoning to record.")


class ThinkTool(Tool[ThinkArgs]):
    name = "think"
    args_model = ThinkArgs

    def execute(self, args: ThinkArgs) -> ToolResult:
        return ToolResult(content="Your thought has been recorded.")
