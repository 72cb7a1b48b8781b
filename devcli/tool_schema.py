"""What the model is told about a tool: its name, description and JSON-schema parameters, in
the OpenAI/Mistral `tools` shape. One typed model from the tools that describe themselves to
the backends and formats that send or render them."""

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def _empty_object() -> dict[str, Any]:
    return {"type": "object", "properties": {}}


class FunctionSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=_empty_object)

    @property
    def properties(self) -> dict[str, Any]:
        found = self.parameters.get("properties")
        return found if isinstance(found, dict) else {}

    @property
    def required(self) -> list[str]:
        found = self.parameters.get("required")
        return [str(name) for name in found] if isinstance(found, list) else []


class ToolSchema(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Literal["function"] = "function"
    function: FunctionSpec

    @property
    def name(self) -> str:
        return self.function.name

    def wire(self) -> dict[str, Any]:
        """The entry as servers and chat templates take it."""
        return self.model_dump()


ToolSchemas = Sequence[ToolSchema]


def tool_names(tools: ToolSchemas) -> list[str]:
    return [tool.name for tool in tools]
