"""The Typer application, the options its commands share, and loading settings for a command.
Kept free of heavy imports: `devcli --help` loads only this, the command modules and Typer."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from devcli import __version__
from devcli.exit_codes import ExitCode

if TYPE_CHECKING:
    from devcli.config import Settings

app = typer.Typer(
    name="devcli",
    help="A terminal coding agent driven by Mistral's Devstral. With no command, opens an "
    "interactive session in the repository; the options below apply to that session.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

CwdOption = Annotated[
    Path,
    typer.Option(
        "--cwd",
        help="The repository to work in (default: the current directory).",
        file_okay=False,
        exists=True,
        resolve_path=True,
    ),
]
OutputOption = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        help="text (readable lines), jsonl (one event per line as it happens) or json (a summary).",
    ),
]
SessionFileOption = Annotated[
    Path | None,
    typer.Option("--session-file", help="Write the session here instead of devcli's data folder."),
]
ImageOption = Annotated[
    list[Path] | None, typer.Option("--image", help="Attach an image to the task (repeatable).")
]
ReplayOption = Annotated[
    Path | None,
    typer.Option(
        "--replay",
        help="Play the assistant turns recorded in this file (a session file or JSONL of "
        "turns) instead of asking a model: reproduces a session or a demo.",
        dir_okay=False,
        exists=True,
        resolve_path=True,
    ),
]
SandboxOption = Annotated[
    str | None,
    typer.Option(
        "--sandbox",
        help="Where commands may write: workspace-write (the repository, a private TMPDIR and "
        "package caches; the default where the sandbox works), read-only, off, or required "
        "(workspace-write, and exit 2 where the sandbox cannot run).",
    ),
]
NetworkOption = Annotated[
    str | None,
    typer.Option("--network", help="on, or off: commands in the sandbox get no network."),
]
NoColorOption = Annotated[
    bool, typer.Option("--no-color", help="No colours (the NO_COLOR variable does the same).")
]
VersionOption = Annotated[
    bool,
    typer.Option("--version", callback=lambda value: _version(value), is_eager=True,
                 help="Print the version."),
]  # fmt: skip


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    print(f"devcli: {message}", file=sys.stderr)
    return typer.Exit(int(code))


def _version(value: bool) -> None:
    if value:
        print(f"devcli {__version__}")
        raise typer.Exit()


def load_settings_or_exit(workspace: Path, overrides: dict[str, Any]) -> "Settings":
    """The settings for a command: files, DEVCLI_* variables and its flags; a problem in any
    of them ends the command with exit code 2 and a line that names it."""
    from devcli.config import ConfigError, load_settings

    try:
        return load_settings(workspace, overrides)
    except ConfigError as exc:
        raise fail(str(exc)) from exc
