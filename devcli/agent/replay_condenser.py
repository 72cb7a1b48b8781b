"""Condensation during a replay, which must never spend recorded turns on summaries.

A session file is replayed with its own condensations, each placed before the turn it came
before when it was recorded, and no others. Plain recorded turns are replayed without
condensation: no model reads the replayed conversation, so it has no window to fit. Asked
for one all the same (`/compact`), the summary is the mechanical digest of the actions.
"""

import threading
from collections.abc import Sequence

from devcli.agent.budget import PromptMeter
from devcli.agent.condenser import Condenser, ContextExhausted
from devcli.events import AssistantTurn, Condensation, Event
from devcli.llm.backend import BackendError, ChatMessage, TextSink
from devcli.llm.replay import RecordedCondensation, ReplayBackend
from devcli.tool_schema import ToolSchemas


class NoSummaries(ReplayBackend):
    """The summariser of a replay: it has no model, so it declines every request."""

    def __init__(self) -> None:
        super().__init__([], model_name="replay (no summaries)")

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: ToolSchemas,
        on_text: TextSink | None = None,
        stop: threading.Event | None = None,
    ) -> AssistantTurn:
        raise BackendError("a replay has no model to write summaries")


class NoCondensation(Condenser):
    """Never condenses on its own; an explicit request gets a summary without a model."""

    def __init__(self, meter: PromptMeter, window: int, threshold: float) -> None:
        super().__init__(NoSummaries(), meter, window, threshold=threshold)

    @property
    def limit(self) -> int:
        return 1 << 62  # nothing to fit: outputs are never cut for lack of room

    def needed(self, prompt_tokens: int) -> bool:
        return False


class RecordedCondenser(Condenser):
    """Applies a session file's condensations where they were recorded, and only those."""

    def __init__(
        self, backend: ReplayBackend, meter: PromptMeter, window: int, threshold: float
    ) -> None:
        super().__init__(NoSummaries(), meter, window, threshold=threshold)
        self._backend = backend
        self._pending = list(backend.recording.condensations)

    def _due(self) -> RecordedCondensation | None:
        if self._pending and self._pending[0].before_turn <= self._backend.played:
            return self._pending[0]
        return None

    def needed(self, prompt_tokens: int) -> bool:
        return self._due() is not None

    def condense(
        self,
        system_prompt: str,
        events: Sequence[Event],
        tools: ToolSchemas,
        instructions: str | None = None,
    ) -> Condensation:
        due = self._due()
        if due is None:
            raise ContextExhausted("this replay recorded no condensation at this point")
        self._pending.pop(0)
        turns = [index for index, event in enumerate(events) if isinstance(event, AssistantTurn)]
        first_kept = turns[due.kept_turn] if due.kept_turn < len(turns) else len(events)
        return due.event.model_copy(update={"first_kept": first_kept})


def replay_condenser(
    backend: ReplayBackend, meter: PromptMeter, window: int, threshold: float
) -> Condenser:
    if backend.recording.session_file:
        return RecordedCondenser(backend, meter, window, threshold)
    return NoCondensation(meter, window, threshold)
