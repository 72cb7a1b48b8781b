"""Changing the user's `config.toml` for MCP: servers added or removed, folders trusted.

tomlkit keeps the person's comments, order and layout; the file is replaced atomically.
"""

import os
import tempfile
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table

from devcli.config import ConfigError, user_config_path


def add_server(name: str, table: dict[str, Any]) -> Path:
    """Write `[mcp_servers.NAME]` (replacing one of that name); returns the file."""
    path = user_config_path()
    document = _load(path)
    servers = _servers_table(document, path)
    entry = tomlkit.table()
    for key, value in table.items():
        entry[key] = value
    servers[name] = entry
    _save(path, document)
    return path


def remove_server(name: str) -> bool:
    """Delete `[mcp_servers.NAME]`; False when the user config has no such server."""
    path = user_config_path()
    document = _load(path)
    servers = document.get("mcp_servers")
    if not isinstance(servers, Table | dict) or name not in servers:
        return False
    del servers[name]
    _save(path, document)
    return True


def trust_folder(folder: Path) -> Path:
    """Add the folder to `trusted_projects`; returns the file."""
    path = user_config_path()
    document = _load(path)
    current = document.get("trusted_projects", [])
    if not isinstance(current, list):
        raise ConfigError(f"{path}: `trusted_projects` must be a list of folders")
    wanted = str(folder.resolve())
    if wanted not in [str(item) for item in current]:
        folders = tomlkit.array()
        folders.extend([*[str(item) for item in current], wanted])
        document["trusted_projects"] = folders
        _save(path, document)
    return path


def _load(path: Path) -> tomlkit.TOMLDocument:
    if not path.is_file():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, TOMLKitError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _servers_table(document: tomlkit.TOMLDocument, path: Path) -> Any:
    servers = document.get("mcp_servers")
    if servers is None:
        servers = tomlkit.table(is_super_table=True)
        document["mcp_servers"] = servers
    if not isinstance(servers, Table | dict):
        raise ConfigError(f"{path}: `mcp_servers` must be a table of servers")
    return servers


def _save(path: Path, document: tomlkit.TOMLDocument) -> None:
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(tomlkit.dumps(document))
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise ConfigError(f"cannot write {path}: {exc}") from exc
