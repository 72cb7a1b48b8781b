"""The result of reading one assistant reply: its prose and the tool calls it made."""

from pydantic import BaseModel, ConfigDict

from devcli.events import ToolCall


class ParsedTurn(BaseModel):
    model_config = ConfigDict(frozen=True)

    content: str
    tool_calls: tuple[ToolCall, ...]
