"""`think`: a place for the model to reason; it changes nothing."""

from pydantic import Field

from devcli.tools.base import Consent, Tool, ToolArgs, ToolResult


class ThinkArgs(ToolArgs):
    thought: str = Field(description="The reasoning to record.")


class ThinkTool(Tool[ThinkArgs]):
    name = "think"
    args_model = ThinkArgs

    def consent(self, args: ThinkArgs) -> Consent:
        return Consent.none()  # only talks

    def changes_files(self, args: ThinkArgs) -> bool:
        return False

    def execute(self, args: ThinkArgs) -> ToolResult:
        return ToolResult(content="Your thought has been recorded.")
