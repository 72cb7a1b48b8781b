"""MCP servers an editor passes with `session/new` and `session/load`: they join the
session's `mcp_servers` as the user's own (the person configured them in the editor) and are
started like the configured ones. A repository's own servers start only in a folder listed in
`trusted_projects`: there is no terminal here to ask."""

import logging
from pathlib import Path
from typing import Any

from acp.schema import AcpMcpServer, HttpMcpServer, McpServerStdio, SseMcpServer

from devcli.config import Settings

ClientMcpServer = HttpMcpServer | SseMcpServer | AcpMcpServer | McpServerStdio

log = logging.getLogger(__name__)


def server_tables(servers: list[ClientMcpServer] | None) -> dict[str, dict[str, Any]]:
    """The editor's servers as `[mcp_servers.NAME]` tables; kinds devcli cannot reach are
    logged and left out."""
    tables: dict[str, dict[str, Any]] = {}
    for server in servers or []:
        if isinstance(server, McpServerStdio):
            tables[server.name] = {
                "command": server.command,
                "args": list(server.args),
                "env": {variable.name: variable.value for variable in server.env},
            }
        elif isinstance(server, HttpMcpServer):
            headers = {header.name: header.value for header in server.headers}
            tables[server.name] = {"url": server.url, "headers": headers}
        else:
            log.warning("MCP server %s: devcli speaks stdio and HTTP only", server.name)
    return tables


def with_client_servers(
    settings: Settings, workspace: Path, servers: list[ClientMcpServer] | None
) -> Settings:
    """The session's settings: the repository's own servers only in a trusted folder, then
    the editor's servers (they win over a configured server of the same name)."""
    from devcli.mcp.consent import ProjectConsent, apply_consent, consent_needed

    if settings.mcp_servers:
        pending = consent_needed(settings, workspace)
        if pending is not None:
            log.warning(
                "not starting the MCP servers of %s (%s): add the folder to trusted_projects",
                pending.config_file,
                ", ".join(pending.servers),
            )
            settings = apply_consent(settings, workspace, ProjectConsent.DECLINED)
    extra = server_tables(servers)
    if not extra:
        return settings
    return settings.model_copy(update={"mcp_servers": {**settings.mcp_servers, **extra}})
