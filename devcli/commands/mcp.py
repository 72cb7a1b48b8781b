"""`devcli mcp list`, `devcli mcp add` and `devcli mcp remove`: the MCP servers devcli uses."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from devcli.cli_app import CwdOption, app, fail

if TYPE_CHECKING:
    from devcli.config import Settings

mcp_app = typer.Typer(
    help="Tools from Model Context Protocol servers: list, add and remove servers.",
    no_args_is_help=True,
)
app.add_typer(mcp_app, name="mcp")


def _settings(cwd: Path) -> "Settings":
    from devcli.config import ConfigError, load_settings

    try:
        return load_settings(cwd)
    except ConfigError as exc:
        raise fail(str(exc)) from exc


@mcp_app.command("list")
def list_command(
    cwd: CwdOption = Path("."),
    trust_project: Annotated[
        bool,
        typer.Option("--trust-project", help="Also start the servers .devcli.toml declares."),
    ] = False,
) -> None:
    """Each configured server: where it comes from, whether it starts, and its tools."""
    from devcli.config import ConfigError
    from devcli.mcp.check import check_servers
    from devcli.mcp.consent import consent_needed, project_servers
    from devcli.mcp.server_config import parse_servers

    settings = _settings(cwd)
    if not settings.mcp_servers:
        print("No MCP servers are configured. Add one with: devcli mcp add NAME -- COMMAND [ARGS…]")
        print("or: devcli mcp add NAME --url URL")
        return
    try:
        servers = parse_servers(settings.mcp_servers)
        declared = project_servers(settings, cwd).servers
        pending = consent_needed(settings, cwd)
    except ConfigError as exc:
        raise fail(str(exc)) from exc
    waiting = set(pending.servers) if pending is not None and not trust_project else set()
    startable = {n: c for n, c in servers.items() if c.enabled and n not in waiting}
    checks = {check.name: check for check in check_servers(startable, cwd)}
    for name, config in servers.items():
        origin = ".devcli.toml" if name in declared else "user config"
        notes = [origin, *(["trusted"] if config.trust else [])]
        if config.env:
            notes.append("env " + ", ".join(config.env))
        if config.headers:
            notes.append("headers " + ", ".join(config.headers))
        print(f"{name}  {config.transport.value}: {config.target()}  ({'; '.join(notes)})")
        check = checks.get(name)
        if not config.enabled:
            print("  disabled")
        elif check is None:
            print("  not started: the repository's servers need consent (--trust-project)")
        elif not check.ok:
            print(f"  failed: {check.problem}")
        else:
            allowed = [t for t in check.tools if config.tools is None or t in config.tools]
            print(f"  running · {len(allowed)} tools: " + (", ".join(allowed) or "none"))


@mcp_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="The server's name (tools become mcp__NAME__TOOL).")],
    command: Annotated[
        list[str] | None,
        typer.Argument(help="After --: the program that runs the server, and its arguments."),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="A streamable-HTTP server instead of a program.")
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", help="KEY=VALUE for the program (repeatable; ${VAR} is expanded)."),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option("--header", help="'Name: value' for the HTTP server (repeatable)."),
    ] = None,
    trust: Annotated[
        bool, typer.Option("--trust", help="Run its tools without asking, in every mode.")
    ] = False,
    tool: Annotated[
        list[str] | None, typer.Option("--tool", help="Offer only this tool (repeatable).")
    ] = None,
    startup_timeout: Annotated[
        float | None, typer.Option("--startup-timeout", help="Seconds to start [20].")
    ] = None,
    tool_timeout: Annotated[
        float | None, typer.Option("--tool-timeout", help="Seconds for one call [60].")
    ] = None,
) -> None:
    """Add a server to the user configuration: devcli mcp add NAME -- COMMAND [ARGS…]"""
    from devcli.config import ConfigError
    from devcli.mcp.server_config import parse_servers
    from devcli.mcp.user_config import add_server

    table: dict[str, Any] = {}
    if command:
        table["command"], table["args"] = command[0], command[1:]
    if url is not None:
        table["url"] = url
    if env:
        table["env"] = dict(_pair(item, "=", "--env") for item in env)
    if header:
        table["headers"] = dict(_pair(item, ":", "--header") for item in header)
    if trust:
        table["trust"] = True
    if tool:
        table["tools"] = tool
    if startup_timeout is not None:
        table["startup_timeout_s"] = startup_timeout
    if tool_timeout is not None:
        table["tool_timeout_s"] = tool_timeout
    if not table.get("args"):
        table.pop("args", None)
    try:
        parse_servers({name: table})
        path = add_server(name, table)
    except ConfigError as exc:
        raise fail(str(exc)) from exc
    print(f"Added the MCP server `{name}` to {path}.")


def _pair(item: str, separator: str, option: str) -> tuple[str, str]:
    key, found, value = item.partition(separator)
    if not found or not key.strip():
        example = "KEY=VALUE" if separator == "=" else "'Name: value'"
        raise fail(f"{option} takes {example} (got {item!r})")
    return key.strip(), value.strip() if separator == ":" else value


@mcp_app.command("remove")
def remove_command(
    name: Annotated[str, typer.Argument(help="The server to remove.")],
    cwd: CwdOption = Path("."),
) -> None:
    """Remove a server from the user configuration."""
    from devcli.config import ConfigError, project_config_path, user_config_path
    from devcli.mcp.user_config import remove_server

    try:
        removed = remove_server(name)
    except ConfigError as exc:
        raise fail(str(exc)) from exc
    if removed:
        print(f"Removed the MCP server `{name}` from {user_config_path()}.")
        return
    if name in _settings(cwd).mcp_servers:
        raise fail(f"`{name}` is declared in {project_config_path(cwd)}; edit that file")
    raise fail(f"there is no MCP server named `{name}` in {user_config_path()}")
