"""The typed events of a session and their one-object-per-line JSON form.

The session file is the single source of truth: the conversation sent to a model is rebuilt
from these events, renderers only read them, and `--output jsonl` prints the same lines.
"""

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from devcli import json_nesting
from devcli.safe_text import scrub, scrub_data

SESSION_FORMAT_VERSION = 1

# Text from models, files and commands: lone surrogates become U+FFFD on the way in, so every
# event can be written as UTF-8.
SafeStr = Annotated[str, AfterValidator(scrub)]

TaskCompleted = Literal["true", "false", "partial"]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ToolCall(BaseModel):
    """One call as the model made it. `raw_arguments` keeps text that was not valid JSON."""

    model_config = ConfigDict(frozen=True)

    id: SafeStr
    name: SafeStr
    arguments: Annotated[dict[str, Any], AfterValidator(scrub_data)] = Field(default_factory=dict)
    raw_arguments: SafeStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _bounded_nesting(cls, data: Any) -> Any:
        """Arguments nested deeper than json_nesting allows are kept only as text."""
        if isinstance(data, dict) and json_nesting.value_exceeds(data.get("arguments")):
            return {**data, "arguments": {}, "raw_arguments": json_nesting.TOO_DEEP_TEXT}
        return data


class Usage(BaseModel):
    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Local models only (None elsewhere): prompt tokens evaluated for this turn, those taken
    # from the prompt cache on disk instead, and the seconds until the first generated token.
    prompt_evaluated: int | None = None
    prompt_restored: int | None = None
    restore_seconds: float | None = None
    first_token_seconds: float | None = None


class SessionStarted(_Event):
    type: Literal["session"] = "session"
    id: SafeStr
    version: int = SESSION_FORMAT_VERSION
    cwd: SafeStr
    model: SafeStr
    backend: SafeStr
    started: str = Field(default_factory=utc_now)


class UserMessage(_Event):
    """A message in the user role. `synthetic` marks devcli's own nudges to the model."""

    type: Literal["user"] = "user"
    content: SafeStr
    synthetic: bool = False
    images: tuple[SafeStr, ...] = ()  # paths of images sent with the message


class AssistantTurn(_Event):
    type: Literal["assistant"] = "assistant"
    content: SafeStr = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = Field(default_factory=Usage)
    # What a reasoning model thought before answering; kept for people, not sent back.
    reasoning: SafeStr | None = None


class Observation(_Event):
    type: Literal["observation"] = "observation"
    tool_call_id: SafeStr
    name: SafeStr
    content: SafeStr
    exit_code: int | None = None
    is_error: bool = False
    images: tuple[SafeStr, ...] = ()  # paths of images the tool returned


class ErrorEvent(_Event):
    """A failure the user should see; it is not part of the conversation."""

    type: Literal["error"] = "error"
    message: SafeStr


class Finished(_Event):
    type: Literal["finish"] = "finish"
    message: SafeStr
    task_completed: TaskCompleted
    exit_code: int
    reason: str = "finish"  # finish, no_tool_call, step_limit, stuck, backend_error, interrupted


class Condensation(_Event):
    """The conversation from here on replaces the events before `first_kept` with `summary`.

    `first_kept` indexes the session's events after its `session` line. The system prompt and
    the first user message always stay. Observations named in `elided` keep only a note.
    """

    type: Literal["condensation"] = "condensation"
    summary: SafeStr
    first_kept: int
    elided: tuple[SafeStr, ...] = ()
    tokens_before: int = 0
    tokens_after: int = 0


Event = Annotated[
    SessionStarted
    | UserMessage
    | AssistantTurn
    | Observation
    | ErrorEvent
    | Finished
    | Condensation,
    Field(discriminator="type"),
]

_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


class SessionFileError(ValueError):
    """A session file line that is not a valid event; the message names the line."""


def event_to_json(event: Event) -> str:
    return event.model_dump_json(exclude_none=True)


def event_from_json(line: str) -> Event:
    return _EVENT_ADAPTER.validate_json(line)


def parse_events(lines: Iterable[str], source: str = "<events>") -> Iterator[Event]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield event_from_json(line)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "line"
            raise SessionFileError(f"{source}:{number}: {where}: {first['msg']}") from exc


def read_session_file(path: Path) -> list[Event]:
    """All events of a session file; a last line cut short by a crash is left out."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if not text.endswith("\n") and lines:
        lines.pop()  # the line being written when the process died
    return list(parse_events(lines, source=str(path)))


class SessionWriter:
    """Appends events to a JSONL file, flushing each line so a crash loses at most one step."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("a", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        self._handle.write(event_to_json(event) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()
