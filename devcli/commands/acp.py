"""`devcli acp`: serve the Agent Client Protocol on stdin/stdout for an editor."""

from pathlib import Path
from typing import Any

import typer

from devcli.cli_app import CwdOption, ReplayOption, app, fail
from devcli.cli_settings import flag_settings, with_setting_flags


@app.command(name="acp")
@with_setting_flags([*flag_settings("model"), *flag_settings("agent")])
def acp_command(
    cwd: CwdOption = Path("."),
    replay: ReplayOption = None,
    *,
    setting_flags: dict[str, Any],
) -> None:
    """Run as an Agent Client Protocol server on stdin/stdout, for editors (Zed, JetBrains,
    Neovim …). Only protocol messages go to stdout; logs go to stderr.

    The model is loaded once, from the settings of --cwd and these options; each session
    works in the folder the editor names and reads its .devcli.toml for the agent settings.
    """
    from devcli.acp.stdio import reserve_stdio

    # First, before any model code can print: stdin and stdout are the protocol's from here on.
    pipes = reserve_stdio()
    overrides = setting_flags
    from devcli.config import ConfigError, load_settings
    from devcli.llm.backend import Backend

    backend: Backend
    try:
        settings = load_settings(cwd, overrides)
        if replay is not None:
            from devcli.llm.replay import ReplayBackend, ReplayFileError

            try:
                backend = ReplayBackend.from_file(replay)
            except ReplayFileError as exc:
                raise ConfigError(str(exc)) from exc
        else:
            from devcli.llm.factory import make_backend

            backend = make_backend(settings, cwd)
    except ConfigError as exc:
        raise fail(str(exc)) from exc
    from devcli.acp.server import serve

    raise typer.Exit(serve(backend, overrides, pipes))
