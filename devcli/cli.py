"""Entry point: registers every command module, then runs the app."""

from devcli.cli_app import app
from devcli.commands import run as _run  # noqa: F401  (registers run, replay)


def main() -> None:
    app()
