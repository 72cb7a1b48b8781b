"""`devcli undo`, `devcli diff` and `devcli checkpoints`: reviewing and reverting a session."""

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from devcli.cli_app import CwdOption, app, fail
from devcli.exit_codes import ExitCode

SessionOption = Annotated[
    str | None,
    typer.Option("--session", help="The session id (default: the latest with checkpoints)."),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]

checkpoints_app = typer.Typer(
    help="List or prune the checkpoints devcli keeps for undo.", no_args_is_help=True
)
app.add_typer(checkpoints_app, name="checkpoints")


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if sys.stdin is None or not sys.stdin.isatty():
        raise fail("there is no terminal to ask: pass --yes to go ahead", ExitCode.USAGE)
    return typer.confirm(question, default=False)


@app.command()
def undo(
    step: Annotated[
        int | None,
        typer.Option(
            "--step",
            min=0,
            help="Restore the state before this step (default: the "
            "latest checkpoint that differs from the work tree now).",
        ),
    ] = None,
    all_steps: Annotated[
        bool,
        typer.Option(
            "--all-steps",
            help="Undo the whole session: every file it changed goes back to how it was before "
            "its first change; files only you changed stay.",
        ),
    ] = False,
    session: SessionOption = None,
    yes: YesOption = False,
    cwd: CwdOption = Path("."),
) -> None:
    """Restore the work tree exactly as it was at a checkpoint, after showing what changes.

    Without options: back one step of the latest session (repeat to go further back)."""
    from devcli.checkpoints.store import CheckpointError, CheckpointStore
    from devcli.checkpoints.undo import UndoError, UndoState, undo_with_consent

    if all_steps and step is not None:
        raise fail("--all-steps and --step go different distances back; give one of them")
    try:
        with CheckpointStore.for_workspace(cwd) as store:
            outcome = undo_with_consent(
                store, session, step, all_steps, print, lambda q: _confirm(q, yes)
            )
    except (UndoError, CheckpointError) as exc:
        raise fail(str(exc), ExitCode.NOT_COMPLETED) from exc
    print(outcome.message)
    failed = outcome.result is not None and outcome.result.failed
    if outcome.state is UndoState.DECLINED or failed:
        raise typer.Exit(int(ExitCode.NOT_COMPLETED))


@app.command()
def diff(
    session: SessionOption = None,
    stat: Annotated[bool, typer.Option("--stat", help="Only the list of changed files.")] = False,
    cwd: CwdOption = Path("."),
) -> None:
    """Show what a session changed: its first checkpoint against the work tree now."""
    from devcli.checkpoints.store import CheckpointError, CheckpointStore
    from devcli.checkpoints.undo import UndoError, choose_session

    try:
        with CheckpointStore.for_workspace(cwd) as store:
            chosen = choose_session(store, session)
            first = store.first_checkpoint(chosen)
            assert first is not None  # choose_session names sessions with checkpoints
            current = store.write_tree()
            changes = store.changes(first.tree, current)
            text = "" if stat else store.diff_text(first.tree, current, color=sys.stdout.isatty())
    except (UndoError, CheckpointError) as exc:
        raise fail(str(exc), ExitCode.NOT_COMPLETED) from exc
    print(f"Session {chosen}: changes since the checkpoint before step {first.step}")
    if not changes:
        print("No files differ.")
        return
    for change in changes:
        print(f"  {change.kind:<8} {change.path}")
    if text:
        print()
        print(text, end="" if text.endswith("\n") else "\n")


@checkpoints_app.command("list")
def list_checkpoints(cwd: CwdOption = Path(".")) -> None:
    """Sessions with checkpoints, oldest first."""
    from devcli.checkpoints.store import CheckpointError, CheckpointStore

    try:
        with CheckpointStore.for_workspace(cwd) as store:
            summaries = store.session_summaries()
            where = store.git_dir
    except CheckpointError as exc:
        raise fail(str(exc), ExitCode.NOT_COMPLETED) from exc
    if not summaries:
        print(f"No checkpoints for {cwd}.")
        return
    print(f"Checkpoints kept in {where}:")
    for summary in summaries:
        when = datetime.fromtimestamp(summary.newest.created).strftime("%Y-%m-%d %H:%M")
        listed = ", ".join(str(c.step) for c in summary.checkpoints)
        print(f"  {summary.session}  {when}  before steps {listed}")


@checkpoints_app.command("prune")
def prune_checkpoints(
    older_than: Annotated[
        float,
        typer.Option("--older-than", min=0, help="Remove sessions older than this many days."),
    ] = 30,
    keep: Annotated[
        int, typer.Option("--keep", min=0, help="Always keep this many of the newest sessions.")
    ] = 5,
    all_sessions: Annotated[
        bool, typer.Option("--all", help="Remove the checkpoints of every session.")
    ] = False,
    yes: YesOption = False,
    cwd: CwdOption = Path("."),
) -> None:
    """Remove the checkpoints of old sessions (they can no longer be undone)."""
    from devcli.checkpoints.pruning import sessions_to_prune
    from devcli.checkpoints.store import CheckpointError, CheckpointStore

    try:
        with CheckpointStore.for_workspace(cwd) as store:
            checkpoints = store.checkpoints()
            if all_sessions:
                doomed = sorted({c.session for c in checkpoints})
            else:
                doomed = sessions_to_prune(checkpoints, time.time(), older_than, keep)
            if not doomed:
                print("No sessions to prune.")
                return
            print("Checkpoints of these sessions will be removed: " + ", ".join(doomed))
            if all_sessions and not _confirm("Remove them?", yes):
                print("Nothing was removed.")
                raise typer.Exit(int(ExitCode.NOT_COMPLETED))
            removed = store.delete_sessions(doomed)
    except CheckpointError as exc:
        raise fail(str(exc), ExitCode.NOT_COMPLETED) from exc
    print(f"Removed {removed} checkpoint refs of {len(doomed)} sessions.")
