"""Checkpoints taken by the agent loop: the work tree is saved before the first change of each
step, so each step (or the whole session) can be undone."""

from pathlib import Path
from typing import Any

from devcli.checkpoints.store import CheckpointError, CheckpointStore
from devcli.events import ToolCall
from devcli.tools.base import CallHook, Refusal, Tool, ToolArgs


class CheckpointHook(CallHook):
    """Saves the work tree before the first change of each step, so the step can be undone."""

    def __init__(self, workspace: Path, session_id: str) -> None:
        self.workspace = workspace
        self.session_id = session_id
        self._store: CheckpointStore | None = None
        self._offset = 0
        self._step = 1
        self._saved_step: int | None = None

    def begin_step(self, step: int) -> None:
        self._step = step

    def before(self, call: ToolCall, tool: Tool[Any], args: ToolArgs) -> Refusal | None:
        if self._saved_step == self._step or not tool.changes_files(args):
            return None
        try:
            store = self.store()
            store.snapshot(self.session_id, self._offset + self._step)
        except CheckpointError as exc:
            return Refusal(
                reason=f"Not run: devcli could not save a checkpoint before this change ({exc}), "
                "and it never changes files it could not restore."
            )
        self._saved_step = self._step
        return None

    def store(self) -> CheckpointStore:
        if self._store is None:
            self._store = CheckpointStore.for_workspace(self.workspace)
            # A resumed session continues its numbering instead of reusing step numbers.
            earlier = self._store.checkpoints(self.session_id)
            self._offset = max((c.step for c in earlier), default=0)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
