"""MCP servers an editor passes with `session/new` and `session/load`.

devcli has no MCP client yet, so they are read into plain descriptions and reported as not
started. This is where the MCP client plugs in: start the servers described here as the
configured ones are started, and add their tools to the session's toolbox.
"""

import logging

from acp.schema import AcpMcpServer, HttpMcpServer, McpServerStdio, SseMcpServer
from pydantic import BaseModel, Field

ClientMcpServer = HttpMcpServer | SseMcpServer | AcpMcpServer | McpServerStdio

log = logging.getLogger(__name__)


class McpServerSpec(BaseModel):
    """One server the client asked for: a command to start, or a URL to connect to."""

    name: str
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    url: str | None = None


def describe(servers: list[ClientMcpServer] | None) -> list[McpServerSpec]:
    specs: list[McpServerSpec] = []
    for server in servers or []:
        if isinstance(server, McpServerStdio):
            env = {variable.name: variable.value for variable in server.env}
            specs.append(
                McpServerSpec(name=server.name, command=server.command, args=server.args, env=env)
            )
        elif isinstance(server, HttpMcpServer | SseMcpServer):
            specs.append(McpServerSpec(name=server.name, url=server.url))
        else:
            specs.append(McpServerSpec(name=server.name))
    return specs


def start_client_servers(specs: list[McpServerSpec]) -> None:
    """Not yet: say so on stderr, where the editor's log shows it."""
    if specs:
        names = ", ".join(spec.name for spec in specs)
        log.warning("MCP servers from the editor are not started (no MCP client yet): %s", names)
