"""`finish`: the model declares the task done (or not) and the run ends."""

from pydantic import Field

from devcli.events import TaskCompleted
from devcli.tools.base import FinishRequest, Tool, ToolArgs, ToolResult


class FinishArgs(ToolArgs):
    message: str = Field(description="A summary for the user of what was done and what was not.")
    task_completed: TaskCompleted = Field(
        description="Whether the task is done: `true`, `false`, or `partial`."
    )


class FinishTool(Tool[FinishArgs]):
    name = "finish"
    args_model = FinishArgs

    def execute(self, args: FinishArgs) -> ToolResult:
        request = FinishRequest(message=args.message, task_completed=args.task_completed)
        return ToolResult(content=args.message, finish=request)
