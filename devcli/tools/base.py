"""The tool protocol: pydantic arguments, a generated JSON schema, a typed result; what a
call declares about itself (does it change files, what consent it needs); and the hooks that
see each call before it runs, with the person they may ask."""

from abc import ABC, abstractmethod
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from devcli.events import TaskCompleted, ToolCall
from devcli.prompt_files import read_prompt
from devcli.tool_schema import FunctionSpec, ToolSchema


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
    images: tuple[str, ...] = ()  # paths of images, for models that take them


class ArgumentError(ValueError):
    """Arguments that do not match a tool's schema; the message is written for the model."""


class ConsentKind(StrEnum):
    NONE = "none"  # reads or talks only: never asked about
    EDIT = "edit"  # writes a file the call names
    COMMAND = "command"  # runs something


class Consent(BaseModel):
    """What running a call asks of the person, in approval modes that ask."""

    kind: ConsentKind
    # What an "always" answer covers, e.g. "`git status` commands" or "edits".
    scope: str = ""
    path: str | None = None  # the file an edit writes

    @classmethod
    def none(cls) -> "Consent":
        return cls(kind=ConsentKind.NONE)


A = TypeVar("A", bound=ToolArgs)


class Tool(ABC, Generic[A]):
    name: str
    args_model: type[A]
    # Set when the person declared this tool safe to run without asking (a trusted MCP server).
    runs_without_approval: bool = False

    def consent(self, args: A) -> Consent:
        """The consent a call needs; by default a command, each tool its own scope."""
        return Consent(kind=ConsentKind.COMMAND, scope=f"`{self.name}` calls")

    def changes_files(self, args: A) -> bool:
        """Whether the call may change files in the work tree (a checkpoint is taken first).
        Anything not known to only read is assumed to write."""
        return True

    def description(self) -> str:
        return read_prompt(f"tools/{self.name}.md").strip()

    def schema(self, compact: bool = False) -> ToolSchema:
        """What the model is told about the tool.

        `compact` (for windows of a few thousand tokens) keeps the first sentence of the
        description and drops the parameters' descriptions.
        """
        parameters = simplify_schema(self.args_model.model_json_schema())
        description = self.description()
        if compact:
            description = description.split("\n")[0].split(". ")[0].strip().rstrip(".") + "."
            for prop in parameters.get("properties", {}).values():
                prop.pop("description", None)
        return ToolSchema(
            function=FunctionSpec(name=self.name, description=description, parameters=parameters)
        )

    def parse_arguments(self, arguments: dict[str, Any]) -> A:
        try:
            return self.args_model.model_validate(arguments)
        except ValidationError as exc:
            raise ArgumentError(describe_validation_error(self.name, exc)) from exc

    @abstractmethod
    def execute(self, args: A) -> ToolResult: ...

    def write_refusal(self, args: A) -> str | None:
        """Why this call may not write where it would (the sandbox's boundary), so it can be
        refused before anyone is asked about it; None when it may. Tools that write in
        devcli's own process override it."""
        return None

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


class Refusal(BaseModel):
    """Why a call was not run; the model reads `reason`."""

    reason: str


class Approver(Protocol):
    """Someone who answers yes or no: the person at the terminal or in the editor. Headless
    runs have none."""

    def confirm(self, question: str, detail: str = "") -> bool: ...


class CallHook(ABC):
    """Sees each tool call before it runs and may refuse it; told when a step begins and
    when the session ends."""

    @abstractmethod
    def before(self, call: ToolCall, tool: Tool[Any], args: ToolArgs) -> Refusal | None: ...

    def begin_step(self, step: int) -> None:
        """A new model turn's calls are about to run (most hooks keep no per-step state)."""
        return None

    def close(self) -> None:
        """The session is over: release what the hook holds (most hold nothing)."""
        return None
