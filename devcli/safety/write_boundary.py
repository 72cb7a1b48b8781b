"""Refuses a write that a tool's sandbox boundary would refuse, before anyone is asked about
it: approving an edit the sandbox then refuses would only waste the person's answer."""

from typing import Any

from devcli.events import ToolCall
from devcli.tools.base import CallHook, Refusal, Tool, ToolArgs


class WriteBoundaryHook(CallHook):
    def before(self, call: ToolCall, tool: Tool[Any], args: ToolArgs) -> Refusal | None:
        reason = tool.write_refusal(args)
        return Refusal(reason=reason) if reason is not None else None
