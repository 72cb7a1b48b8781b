"""The tool protocol: pydantic arguments, a generated JSON schema, a typed result."""

from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from devcli.events import TaskCompleted
from devcli.prompt_files import read_prompt


class ToolArgs(BaseModel):
    # Unknown parameters are reported back so the model learns the real schema.
    model_config = ConfigDict(extra="forbid")


class FinishRequest(BaseModel):
    message: str
    task_completed: TaskCompleted


class ToolResult(BaseModel):
    content: str
    exit_code: int | None = None
    is_error: bool = False
    finish: FinishRequest | None = None


class ArgumentError(ValueError):
    """Arguments that do not match a tool's schema; the message is written for the model."""


A = TypeVar("A", bound=ToolArgs)


class Tool(ABC, Generic[A]):
    name: str
    args_model: type[A]
    # Set when the person declared this tool safe to run without asking (a trusted MCP server).
    runs_without_approval: bool = False

    def description(self) -> str:
        return read_prompt(f"tools/{self.name}.md").strip()

    def schema(self, compact: bool = False) -> dict[str, Any]:
        """The OpenAI/Mistral `tools` entry.

        `compact` (for windows of a few thousand tokens) keeps the first sentence of the
        description and drops the parameters' descriptions.
        """
        parameters = simplify_schema(self.args_model.model_json_schema())
        description = self.description()
        if compact:
            description = description.split("\n")[0].split(". ")[0].strip().rstrip(".") + "."
            for prop in parameters.get("properties", {}).values():
                prop.pop("description", None)
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": description,
                "parameters": parameters,
            },
        }

    def parse_arguments(self, arguments: dict[str, Any]) -> A:
        try:
            return self.args_model.model_validate(arguments)
        except ValidationError as exc:
            raise ArgumentError(describe_validation_error(self.name, exc)) from exc

    @abstractmethod
    def execute(self, args: A) -> ToolResult: ...

    def close(self) -> None:
        """Release processes or files the tool holds."""


def describe_validation_error(tool_name: str, exc: ValidationError) -> str:
    problems: list[str] = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(arguments)"
        match error["type"]:
            case "missing":
                problems.append(f"missing required parameter `{field}`")
            case "extra_forbidden":
                problems.append(f"unknown parameter `{field}`")
            case _:
                problems.append(f"parameter `{field}`: {error['msg']} (got {error['input']!r})")
    return f"Invalid arguments for `{tool_name}`: " + "; ".join(problems) + "."


def simplify_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop pydantic's titles and `null` alternatives: models were tuned on plain schemas."""
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" or (key == "default" and value is None):
            continue
        if key == "anyOf" and isinstance(value, list):
            variants = [v for v in value if v != {"type": "null"}]
            if len(variants) == 1:
                result.update(simplify_schema(variants[0]))
                continue
        if key == "properties" and isinstance(value, dict):
            result[key] = {name: simplify_schema(prop) for name, prop in value.items()}
        elif isinstance(value, dict):
            result[key] = simplify_schema(value)
        else:
            result[key] = value
    return result
