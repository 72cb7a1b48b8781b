"""A backend that plays back recorded assistant turns: reproducible sessions, tests, demos.

A replay is faithful: the turns are played in order to the loop and nothing else (condensation
summaries are never drawn from them), a session file's condensations come back where they were
recorded, and `problem_after` says when the replay did not use every turn or when a call's
result differs from the recorded one.
"""

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from devcli import json_nesting
from devcli.events import AssistantTurn, Condensation, Event, Observation
from devcli.llm.backend import BackendError, ChatMessage, ImageError, TextSink, TurnCancelled
from devcli.llm.formats.call_text import make_tool_call
from devcli.notices import NoticeSink, publish
from devcli.tool_schema import ToolSchemas


class ReplayFileError(ValueError):
    """The replay file cannot be read; the message names the line."""


class _RecordedCall(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    arguments: dict[str, Any] | str | None = None
    raw_arguments: str | None = None
    id: str | None = None


class _RecordedTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    content: str | None = ""
    tool_calls: list[_RecordedCall] = []


class RecordedCondensation(BaseModel):
    """A condensation of a session file, placed before the turn it preceded.

    `kept_turn` counts the turns before the first kept event, so the condensation can be
    placed again in a replay whose events are numbered differently.
    """

    before_turn: int
    kept_turn: int
    event: Condensation


class Recording(BaseModel):
    """What a replay file holds: the turns, and for a session file its condensations and the
    results its calls had."""

    turns: list[AssistantTurn]
    session_file: bool = False
    condensations: list[RecordedCondensation] = []
    results: dict[str, Observation] = {}


def load_recording(path: Path) -> Recording:
    """Assistant turns from a session file, or from plain `{"content", "tool_calls"}` lines."""
    try:
        # Lines end at "\n" only: recorded text may hold U+2028 or form feeds.
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayFileError(f"cannot read {path}: {exc}") from exc
    recording = Recording(turns=[])
    turn_at_event: list[int] = []  # per event of a session file: the turns before it
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json_nesting.loads(line, json_nesting.MAX_LINE_NESTING)
            if not isinstance(data, dict):
                raise ValueError("each line must be a JSON object")
            kind = data.get("type")
            if kind is not None:
                recording.session_file = True
            if kind not in (None, "assistant"):
                if kind != "session":
                    _note_event(recording, kind, data, turn_at_event)
                continue
            recorded = _RecordedTurn.model_validate(data)
        except (ValueError, ValidationError) as exc:
            raise ReplayFileError(f"{path}:{number}: not a recorded turn ({exc})") from exc
        calls = tuple(
            make_tool_call(
                call.name,
                call.raw_arguments if call.raw_arguments is not None else call.arguments,
                call.id,
            )
            for call in recorded.tool_calls
        )
        turn_at_event.append(len(recording.turns))
        recording.turns.append(AssistantTurn(content=recorded.content or "", tool_calls=calls))
    if not recording.turns:
        raise ReplayFileError(f"{path} holds no assistant turns")
    return recording


def _note_event(
    recording: Recording, kind: Any, data: dict[str, Any], turn_at_event: list[int]
) -> None:
    """Condensations and results of a session file; other events only count."""
    before = len(recording.turns)
    if kind == "observation":
        result = Observation.model_validate(data)
        recording.results[result.tool_call_id] = result
    elif kind == "condensation":
        event = Condensation.model_validate(data)
        kept = event.first_kept
        kept_turn = turn_at_event[kept] if 0 <= kept < len(turn_at_event) else before
        recording.condensations.append(
            RecordedCondensation(before_turn=before, kept_turn=kept_turn, event=event)
        )
    turn_at_event.append(before)


def load_turns(path: Path) -> list[AssistantTurn]:
    return load_recording(path).turns


class ReplayBackend:
    kind = "replay"
    accepts_images = False
    context_window: int | None = None  # the recorded model's is not known
    on_reasoning: TextSink | None = None

    def __init__(
        self,
        turns: list[AssistantTurn],
        model_name: str = "replay",
        recording: Recording | None = None,
    ) -> None:
        self._turns = list(turns)
        self._next = 0
        self.model_name = model_name
        self.recording = recording or Recording(turns=self._turns)
        self.notices: NoticeSink = publish

    def count_prompt_tokens(self, messages: list[ChatMessage], tools: ToolSchemas) -> int | None:
        return None

    def attach_images(self, paths: Sequence[Path]) -> None:
        raise ImageError("a replay takes no images")

    @classmethod
    def from_file(cls, path: Path) -> "ReplayBackend":
        recording = load_recording(path)
        return cls(recording.turns, model_name=f"replay:{path.name}", recording=recording)

    @property
    def played(self) -> int:
        """How many turns the loop has taken so far."""
        return self._next

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: ToolSchemas,
        on_text: TextSink | None = None,
        stop: threading.Event | None = None,
    ) -> AssistantTurn:
        if stop is not None and stop.is_set():
            raise TurnCancelled
        if self._next >= len(self._turns):
            raise BackendError(
                f"The replay has no more recorded turns (all {len(self._turns)} were played)."
            )
        turn = self._turns[self._next]
        self._next += 1
        if on_text is not None and turn.content:
            on_text(turn.content)
        return turn

    def problem_after(self, events: Sequence[Event]) -> str | None:
        """Why the replay was not faithful, once the run is over; None when it was."""
        problems: list[str] = []
        if self._next < len(self._turns):
            problems.append(
                f"the replay ended after {self._next} of its {len(self._turns)} recorded turns"
            )
        differences = _differences(self.recording.results, events)
        if differences:
            first = differences[0]
            problems.append(
                f"{len(differences)} of the replayed calls gave a different result than "
                f"recorded (first: {first})"
            )
        return "; ".join(problems) or None

    def close(self) -> None:
        pass


def _differences(recorded: dict[str, Observation], events: Sequence[Event]) -> list[str]:
    """Calls whose replayed result differs from the recorded one in exit code or error."""
    found: list[str] = []
    for event in events:
        if not isinstance(event, Observation) or event.tool_call_id not in recorded:
            continue
        before = recorded[event.tool_call_id]
        if (before.exit_code, before.is_error) != (event.exit_code, event.is_error):
            found.append(
                f"`{event.name}` call {event.tool_call_id}: recorded "
                f"{_outcome(before)}, replayed {_outcome(event)}"
            )
    return found


def _outcome(result: Observation) -> str:
    if result.is_error:
        return "an error"
    return f"exit code {result.exit_code}" if result.exit_code is not None else "success"
