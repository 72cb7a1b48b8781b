"""Hooks that see each tool call before it runs: approvals, hard gates, checkpoints."""

from typing import Any, Protocol

from pydantic import BaseModel

from devcli.events import ToolCall
from devcli.tools.base import Tool, ToolArgs


class Refusal(BaseModel):
    """Why a call was not run; the model reads `reason`."""

    reason: str


class ToolHook(Protocol):
    def before(self, call: ToolCall, tool: Tool[Any], args: ToolArgs) -> Refusal | None: ...


class Approver(Protocol):
    """Asks the person at the terminal; headless runs have none."""

    def confirm(self, question: str, detail: str = "") -> bool: ...
