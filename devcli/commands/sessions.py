"""`devcli sessions list` and `devcli sessions show ID`."""

from pathlib import Path
from typing import Annotated

import typer

from devcli.cli_app import CwdOption, app, fail

sessions_app = typer.Typer(help="List and inspect saved sessions.", no_args_is_help=True)
app.add_typer(sessions_app, name="sessions")


@sessions_app.command("list")
def list_command(
    cwd: CwdOption = Path("."),
    all_repositories: Annotated[
        bool, typer.Option("--all", help="Sessions of every repository, not only this one.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many.")] = 20,
) -> None:
    """Saved sessions, newest first."""
    from devcli.session_files import list_sessions

    sessions = list_sessions(None if all_repositories else cwd)[:limit]
    if not sessions:
        print("No saved sessions" + ("." if all_repositories else f" for {cwd}."))
        return
    for info in sessions:
        task = info.task.splitlines()[0] if info.task else ""
        task = task if len(task) <= 60 else task[:59] + "…"
        where = f"  {info.cwd}" if all_repositories else ""
        print(f"{info.id}  {info.started}  {info.steps:3} steps  {info.status:24} {task}{where}")


@sessions_app.command("show")
def show_command(
    session_id: Annotated[str, typer.Argument(help="The session id, or its first characters.")],
    cwd: CwdOption = Path("."),
) -> None:
    """Print a saved session as readable lines."""
    import sys

    from devcli.events import Condensation, SessionFileError, UserMessage, read_session_file
    from devcli.session_files import SessionNotFound, find_session
    from devcli.ui.plain import PlainRenderer

    try:
        info = find_session(cwd, session_id)
        events = read_session_file(info.path)
    except (SessionNotFound, SessionFileError, OSError, UnicodeDecodeError) as exc:
        raise fail(str(exc)) from exc
    print(f"session {info.id} · {info.started} · {info.model} · {info.cwd}\nfile: {info.path}\n")
    render = PlainRenderer(sys.stdout)
    for event in events:
        if isinstance(event, UserMessage):
            print(("(devcli) " if event.synthetic else "> ") + event.content)
        elif isinstance(event, Condensation):
            print(f"[history condensed: {event.tokens_before} → {event.tokens_after} tokens]")
        else:
            render(event)
