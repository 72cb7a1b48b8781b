"""Entry point: registers every command module, then runs the app."""

from devcli.cli_app import app
from devcli.commands import acp as _acp  # noqa: F401  (registers acp)
from devcli.commands import cache as _cache  # noqa: F401  (registers cache list, cache clear)
from devcli.commands import doctor as _doctor  # noqa: F401  (registers doctor)
from devcli.commands import init as _init  # noqa: F401  (registers init)
from devcli.commands import interactive as _interactive  # noqa: F401  (registers the REPL)
from devcli.commands import mcp as _mcp  # noqa: F401  (registers mcp list, add, remove)
from devcli.commands import models as _models  # noqa: F401  (registers models list, models pull)
from devcli.commands import run as _run  # noqa: F401  (registers run, replay)
from devcli.commands import safety as _safety  # noqa: F401  (registers undo, diff, checkpoints)
from devcli.commands import sessions as _sessions  # noqa: F401  (registers sessions)


def main() -> None:
    import sys

    if sys.stderr is not None and sys.stderr.isatty():
        # A terminal gets spinners and live bars; logs and pipes get plain lines.
        from devcli.notices import use_reporter
        from devcli.ui.terminal_reporter import TerminalReporter

        with use_reporter(TerminalReporter()):
            app()
    else:
        app()
