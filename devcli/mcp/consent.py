"""A repository's own `.devcli.toml` may declare MCP servers, which are programs (or remote
services) a cloned project could otherwise start on the person's machine. They start only
with consent: the folder is listed in `trusted_projects` of the user's configuration, or the
person says yes (the REPL asks; `devcli run` needs `--trust-project`).

A project server's `trust = true` (run its tools without asking) counts only in a trusted
folder; consent for one session starts the servers but their tools still ask.
"""

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel

from devcli.config import (
    ConfigError,
    Settings,
    project_config_path,
    read_config_file,
    user_config_path,
)
from devcli.mcp.server_config import ServerConfig, parse_servers


class ProjectConsent(StrEnum):
    DECLINED = "declined"  # the project's servers are left out
    THIS_SESSION = "session"  # started this time; their `trust` is not honoured
    TRUSTED = "trusted"  # the folder is trusted: started, `trust` honoured


class ProjectServers(BaseModel):
    """The servers the repository's own file declares (as merged into the settings)."""

    config_file: Path
    servers: dict[str, ServerConfig]


def project_servers(settings: Settings, workspace: Path) -> ProjectServers:
    """ConfigError when any configured server is malformed."""
    everything = parse_servers(settings.mcp_servers)
    path = project_config_path(workspace)
    declared = read_config_file(path).get("mcp_servers", {})
    if not isinstance(declared, dict):
        raise ConfigError(f"{path}: `mcp_servers` must be a table of servers")
    ours = {name: everything[name] for name in declared if name in everything}
    return ProjectServers(config_file=path, servers=ours)


def folder_trusted(settings: Settings, workspace: Path) -> bool:
    """The folder, or one above it, is listed in `trusted_projects`."""
    here = workspace.resolve()
    for entry in settings.trusted_projects:
        folder = Path(entry).expanduser().resolve()
        if here == folder or here.is_relative_to(folder):
            return True
    return False


def consent_needed(settings: Settings, workspace: Path) -> ProjectServers | None:
    """The project's servers when they still need the person's yes; None when nothing does."""
    found = project_servers(settings, workspace)
    found.servers = {name: s for name, s in found.servers.items() if s.enabled}
    if not found.servers or folder_trusted(settings, workspace):
        return None
    return found


def apply_consent(settings: Settings, workspace: Path, consent: ProjectConsent) -> Settings:
    """Settings whose `mcp_servers` reflect the answer about the project's own servers."""
    found = project_servers(settings, workspace)
    if not found.servers or consent is ProjectConsent.TRUSTED:
        return settings
    servers = dict(settings.mcp_servers)
    for name in found.servers:
        if consent is ProjectConsent.DECLINED:
            del servers[name]
        else:
            servers[name] = {**servers[name], "trust": False}
    return settings.model_copy(update={"mcp_servers": servers})


def consent_for_run(settings: Settings, workspace: Path, trust_project: bool) -> Settings:
    """What `devcli run` starts: ConfigError, with what to do, when consent is missing."""
    pending = consent_needed(settings, workspace)
    if pending is None:
        return apply_consent(settings, workspace, ProjectConsent.TRUSTED)
    if not trust_project:
        names = ", ".join(f"`{name}`" for name in pending.servers)
        raise ConfigError(
            f"{pending.config_file} declares MCP servers ({names}), which would start programs "
            "or reach services on this machine; run again with --trust-project to allow them "
            f"this time, or add this folder to `trusted_projects` in {user_config_path()}"
        )
    return apply_consent(settings, workspace, ProjectConsent.THIS_SESSION)
