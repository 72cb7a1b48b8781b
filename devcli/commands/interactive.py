"""`devcli` with no command: the interactive session. Registered as the app's callback; the
session itself (prompt-toolkit, rich, the agent) is imported only when it opens."""

import os
from pathlib import Path
from typing import Any

import typer

from devcli.cli_app import (
    CwdOption,
    NoColorOption,
    ReplayOption,
    SessionFileOption,
    VersionOption,
    app,
    fail,
)
from devcli.cli_settings import flag_settings, with_setting_flags


@app.callback(invoke_without_command=True)
@with_setting_flags([*flag_settings("model"), *flag_settings("agent")])
def interactive(
    ctx: typer.Context,
    version: VersionOption = False,
    cwd: CwdOption = Path("."),
    session_file: SessionFileOption = None,
    replay: ReplayOption = None,
    no_color: NoColorOption = False,
    *,
    setting_flags: dict[str, Any],
) -> None:
    """Open the interactive session when no command is given."""
    if no_color:
        os.environ["NO_COLOR"] = "1"  # every console devcli opens honours it
    if ctx.invoked_subcommand is not None:
        given = [name for name, value in setting_flags.items() if value is not None]
        given += [n for n, v in (("replay", replay), ("session_file", session_file)) if v]
        if given or cwd != Path(".").resolve():
            flags = ", ".join("--" + name.replace("_", "-") for name in given) or "--cwd"
            raise fail(
                f"{flags} before `{ctx.invoked_subcommand}` would be ignored: put options "
                f"after the command (devcli {ctx.invoked_subcommand} {flags.split(',')[0]} …)"
            )
        return
    from devcli.commands.repl import ReplOptions, open_repl

    options = ReplOptions(
        cwd=cwd,
        overrides=setting_flags,
        replay=replay,
        session_file=session_file,
        no_color=no_color,
    )
    raise typer.Exit(open_repl(options))
