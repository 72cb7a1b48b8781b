"""Undo: choose a checkpoint, show what restoring it changes, then restore it exactly.

Before anything is touched, the current work tree is saved under a backup ref, so an undo
can itself be undone by hand. The checkpoints of the steps undone leave the session (they
move under refs/devcli/undone/), so the next undo goes one step further back.
"""

from collections.abc import Callable
from enum import StrEnum
from itertools import pairwise

from pydantic import BaseModel, Field

from devcli.checkpoints.restore import restore_changes
from devcli.checkpoints.store import Checkpoint, CheckpointStore, FileChange


class UndoError(ValueError):
    """Nothing can be undone as asked; the message says why and what exists."""


class UndoPlan(BaseModel):
    checkpoint: Checkpoint
    current_tree: str
    changes: list[FileChange]  # from the work tree now to the checkpoint


class UndoResult(BaseModel):
    plan: UndoPlan
    backup_ref: str
    applied: list[FileChange] = Field(default_factory=list)
    kept_ignored: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)


def choose_session(store: CheckpointStore, session: str | None) -> str:
    sessions = store.sessions()
    if session is None:
        if not sessions:
            raise UndoError(f"there are no checkpoints for {store.work_tree}")
        return sessions[-1]
    if session not in sessions:
        known = ", ".join(sessions[-5:]) or "none"
        raise UndoError(f"no checkpoints of session {session!r} (recent sessions: {known})")
    return session


def session_paths(store: CheckpointStore, session: str) -> set[str]:
    """The paths the session itself changed: step by step between its checkpoints, then up
    to the mark it left at its end (or up to now, when it left none)."""
    checkpoints = sorted(store.checkpoints(session), key=lambda c: c.step)
    trees = [c.tree for c in checkpoints]
    trees.append(store.end_tree(session) or store.write_tree())
    paths: set[str] = set()
    for before, after in pairwise(trees):
        if before != after:
            paths.update(change.path for change in store.changes(before, after))
    return paths


def plan_undo(
    store: CheckpointStore, session: str | None, step: int | None, all_steps: bool = False
) -> UndoPlan:
    """Restore before `step`; without it, the latest checkpoint that differs from now. With
    `all_steps`, before the session's first change: every file the session changed goes back,
    and files only the user changed stay as they are."""
    chosen = choose_session(store, session)
    checkpoints = sorted(store.checkpoints(chosen), key=lambda c: c.step)
    current = store.write_tree()
    if all_steps:
        first = checkpoints[0]
        touched = session_paths(store, chosen)
        changes = [c for c in store.changes(current, first.tree) if c.path in touched]
        if not changes:
            raise UndoError(f"nothing to undo: the files session {chosen} changed are as before")
        return UndoPlan(checkpoint=first, current_tree=current, changes=changes)
    if step is not None:
        target = next((c for c in checkpoints if c.step == step), None)
        if target is None:
            steps = ", ".join(str(c.step) for c in checkpoints)
            raise UndoError(
                f"session {chosen} has no checkpoint before step {step} (it has: {steps})"
            )
    else:
        target = next((c for c in reversed(checkpoints) if c.tree != current), None)
        if target is None:
            raise UndoError(
                "nothing to undo: the work tree already matches every checkpoint of session "
                + chosen
            )
    changes = store.changes(current, target.tree)
    return UndoPlan(checkpoint=target, current_tree=current, changes=changes)


def apply_undo(store: CheckpointStore, plan: UndoPlan) -> UndoResult:
    backup = store.save_backup(plan.checkpoint.session, plan.current_tree)
    outcome = restore_changes(store, plan.changes)
    later = [c for c in store.checkpoints(plan.checkpoint.session) if c.step > plan.checkpoint.step]
    store.retire(later)
    return UndoResult(
        plan=plan,
        backup_ref=backup,
        applied=outcome.applied,
        kept_ignored=outcome.kept_ignored,
        failed=outcome.failed,
    )


_VERBS = {"added": "recreate", "modified": "restore", "deleted": "delete"}


def describe_plan(plan: UndoPlan) -> str:
    checkpoint = plan.checkpoint
    lines = [
        f"Undo to the checkpoint before step {checkpoint.step} of session {checkpoint.session}:"
    ]
    if not plan.changes:
        lines.append("  (no file differs)")
    for change in plan.changes:
        lines.append(f"  {_VERBS[change.kind]:<9} {change.path}")
    return "\n".join(lines)


def describe_result(result: UndoResult) -> str:
    lines = [f"Restored {len(result.applied)} of {len(result.plan.changes)} files."]
    if result.kept_ignored:
        lines.append(
            "Kept (ignored by .gitignore, so never checkpointed): " + ", ".join(result.kept_ignored)
        )
    for failure in result.failed:
        lines.append(f"Could not restore {failure}")
    lines.append(f"The work tree before this undo is saved as {result.backup_ref}.")
    return "\n".join(lines)


class UndoState(StrEnum):
    NOTHING = "nothing"  # the work tree already matches
    DECLINED = "declined"
    DONE = "done"


class UndoOutcome(BaseModel):
    plan: UndoPlan
    state: UndoState
    result: UndoResult | None = None

    @property
    def message(self) -> str:
        if self.result is not None:
            return describe_result(self.result)
        if self.state is UndoState.NOTHING:
            return "The work tree already matches that checkpoint."
        return "Nothing was changed."


def undo_with_consent(
    store: CheckpointStore,
    session: str | None,
    step: int | None,
    all_steps: bool,
    show: Callable[[str], None],
    confirm: Callable[[str], bool],
) -> UndoOutcome:
    """The one undo flow: plan, show what will change, ask, restore. Raises UndoError when
    there is nothing to go back to."""
    plan = plan_undo(store, session, step, all_steps)
    show(describe_plan(plan))
    if not plan.changes:
        return UndoOutcome(plan=plan, state=UndoState.NOTHING)
    if not confirm("Restore these files?"):
        return UndoOutcome(plan=plan, state=UndoState.DECLINED)
    return UndoOutcome(plan=plan, state=UndoState.DONE, result=apply_undo(store, plan))
