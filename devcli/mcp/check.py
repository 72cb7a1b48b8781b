"""Does a configured server start and list its tools? For `devcli mcp list` and health checks."""

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, Field

from devcli.mcp.manager import McpCallError, McpManager, ServerState
from devcli.mcp.server_config import ServerConfig, Transport


class ServerCheck(BaseModel):
    name: str
    transport: Transport
    target: str
    ok: bool
    tools: list[str] = Field(default_factory=list)
    problem: str = ""


def check_servers(
    servers: Mapping[str, ServerConfig], workspace: Path, logs: Path | None = None
) -> list[ServerCheck]:
    """Start the servers together, note what each offers, and stop them."""
    manager = McpManager(dict(servers), workspace, notices=lambda _: None, logs=logs)
    try:
        manager.start()
        statuses = manager.statuses()
    except McpCallError as exc:
        statuses = manager.statuses()
        for status in statuses:
            status.detail = status.detail or str(exc)
    finally:
        manager.close()
    return [
        ServerCheck(
            name=status.name,
            transport=status.transport,
            target=status.target,
            ok=status.state is ServerState.RUNNING,
            tools=status.tools,
            problem=status.detail,
        )
        for status in statuses
    ]


def check_server(name: str, config: ServerConfig, workspace: Path) -> ServerCheck:
    """One server's check, as a health report (`devcli doctor`) would show it."""
    return check_servers({name: config}, workspace)[0]
