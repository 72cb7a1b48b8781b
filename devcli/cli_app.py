"""The Typer application and the options its commands share. Kept free of heavy imports."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from devcli import __version__
from devcli.exit_codes import ExitCode

app = typer.Typer(
    name="devcli",
    help="A terminal coding agent driven by Mistral's Devstral.",
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
MaxStepsOption = Annotated[
    int | None, typer.Option("--max-steps", min=1, help="Stop after this many model turns [100].")
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


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    print(f"devcli: {message}", file=sys.stderr)
    return typer.Exit(int(code))


def _version(value: bool) -> None:
    if value:
        print(f"devcli {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """A terminal coding agent driven by Mistral's Devstral."""
    if ctx.invoked_subcommand is None:
        print(ctx.get_help())
