"""The configured servers started for a session, and their tools ready for the toolbox."""

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from devcli.mcp.manager import McpCallError, McpManager, NoticeSink, ServerStatus
from devcli.mcp.names import tool_name
from devcli.mcp.server_config import enabled_servers
from devcli.mcp.tool import McpTool


class ServerRow(BaseModel):
    """One server as `/mcp` shows it."""

    name: str
    state: str
    tools: str


class McpToolset:
    """Owns the servers: `close()` stops every one of them."""

    def __init__(self, manager: McpManager, tools: list[McpTool]) -> None:
        self.manager = manager
        self.tools = tools

    def statuses(self) -> list[ServerStatus]:
        return self.manager.statuses()

    def rows(self) -> list[ServerRow]:
        rows: list[ServerRow] = []
        for status in self.statuses():
            state = status.state.value
            if status.restarts:
                state += f" (restarted {status.restarts}×)"
            if status.detail:
                state += f": {status.detail}"
            offered = [tool.name for tool in self.tools if tool.server == status.name]
            rows.append(ServerRow(name=status.name, state=state, tools=", ".join(offered) or "-"))
        return rows

    def close(self) -> None:
        self.manager.close()


def start_toolset(
    servers: Mapping[str, Any],
    workspace: Path,
    notices: NoticeSink,
    reserved_names: Iterable[str] = (),
) -> McpToolset:
    """Start the enabled servers of the `mcp_servers` setting (ConfigError if it is wrong).

    A server that does not start is reported through `notices` and left out; the others'
    tools (those their `tools` allow-list names, or all) become tools named
    `mcp__<server>__<tool>`, never equal to one of `reserved_names`.
    """
    configs = enabled_servers(servers)
    manager = McpManager(configs, workspace, notices)
    try:
        started = manager.start()
    except McpCallError as exc:
        notices(f"MCP servers: {exc}")
        started = {}
    taken = set(reserved_names)
    tools: list[McpTool] = []
    for name, remote_tools in started.items():
        config = configs[name]
        offered = remote_tools
        if config.tools is not None:
            offered = [tool for tool in remote_tools if tool.name in config.tools]
            missing = sorted(set(config.tools) - {tool.name for tool in remote_tools})
            if missing:
                notices(
                    f"MCP server `{name}` has no tool named "
                    + ", ".join(f"`{m}`" for m in missing)
                    + " (its `tools` setting lists it)"
                )
        for remote in offered:
            model_name = tool_name(name, remote.name, taken)
            tools.append(McpTool(model_name, name, remote, manager, trusted=config.trust))
    return McpToolset(manager, tools)
