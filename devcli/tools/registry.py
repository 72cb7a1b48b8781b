"""The set of tools offered to the model, and dispatch of one call to its tool."""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from devcli.events import ToolCall
from devcli.tools.base import ArgumentError, Tool, ToolArgs
from devcli.tools.bash import BashTool
from devcli.tools.editor import EditorTool
from devcli.tools.finish import FinishTool
from devcli.tools.think import ThinkTool


class ToolBox:
    def __init__(self, tools: Iterable[Tool[Any]]) -> None:
        self.tools: dict[str, Tool[Any]] = {tool.name: tool for tool in tools}

    @classmethod
    def default(cls, cwd: Path) -> "ToolBox":
        return cls([BashTool(cwd), EditorTool(cwd), ThinkTool(), FinishTool()])

    def schemas(self) -> list[dict[str, Any]]:
        return [tool.schema() for tool in self.tools.values()]

    def prepare(self, call: ToolCall) -> tuple[Tool[Any], ToolArgs]:
        """Find the tool and validate the arguments; ArgumentError explains any problem."""
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(f"`{name}`" for name in self.tools)
            raise ArgumentError(f"There is no tool named `{call.name}`. The tools are: {known}.")
        if call.raw_arguments is not None:
            raise ArgumentError(_json_problem(call.name, call.raw_arguments))
        return tool, tool.parse_arguments(call.arguments)

    def close(self) -> None:
        for tool in self.tools.values():
            tool.close()


def _json_problem(name: str, raw: str) -> str:
    try:
        json.loads(raw)
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    else:
        detail = "it is not a JSON object"
    return (
        f"The arguments of `{name}` are not a valid JSON object ({detail}). Send the call "
        "again with arguments as one JSON object."
    )
