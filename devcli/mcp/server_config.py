"""One `[mcp_servers.NAME]` table: how to reach the server and how far to trust it."""

import os
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from devcli.config import ConfigError

DEFAULT_STARTUP_TIMEOUT_S = 20.0
DEFAULT_TOOL_TIMEOUT_S = 60.0

# Header names whose values are credentials, beyond those that say so (X-Api-Key, X-Auth-Token).
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)", re.IGNORECASE)
MIN_SECRET_LENGTH = 8


class Transport(StrEnum):
    STDIO = "stdio"
    HTTP = "http"


class ServerConfig(BaseModel):
    """A stdio server (`command`, `args`, `env`, `cwd`) or a streamable-HTTP one (`url`,
    `headers`). `${VAR}` in `env` and `headers` values is taken from devcli's environment, so
    tokens need not be written into the file."""

    model_config = ConfigDict(extra="forbid")

    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True
    startup_timeout_s: float = Field(default=DEFAULT_STARTUP_TIMEOUT_S, gt=0)
    tool_timeout_s: float = Field(default=DEFAULT_TOOL_TIMEOUT_S, gt=0)
    trust: bool = False  # its tools run without asking, in every approval mode
    tools: list[str] | None = None  # only these of its tools are offered

    @model_validator(mode="after")
    def _one_transport(self) -> "ServerConfig":
        if (self.command is None) == (self.url is None):
            raise ValueError("give either `command` (a stdio server) or `url` (an HTTP server)")
        if self.url is not None:
            if not re.match(r"https?://", self.url):
                raise ValueError(f"`url` must start with http:// or https:// (got {self.url!r})")
            if self.args or self.env or self.cwd is not None:
                raise ValueError("`args`, `env` and `cwd` are for stdio servers, not `url` ones")
        if self.command is not None and self.headers:
            raise ValueError("`headers` are for HTTP servers (`url`), not `command` ones")
        if self.command is not None and not self.command.strip():
            raise ValueError("`command` is empty")
        return self

    @property
    def transport(self) -> Transport:
        return Transport.STDIO if self.command is not None else Transport.HTTP

    def resolved_env(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        return {k: _expand(v, environ) for k, v in self.env.items()}

    def resolved_headers(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        return {k: _expand(v, environ) for k, v in self.headers.items()}

    def working_folder(self, workspace: Path) -> Path:
        """`cwd` relative to the repository; the repository itself by default."""
        if self.cwd is None:
            return workspace
        return workspace / Path(self.cwd).expanduser()

    def secrets(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """Values to mask wherever devcli writes: credential headers and secret-named variables."""
        values: list[str] = []
        for name, value in self.resolved_env(environ).items():
            if _SECRET_NAME.search(name):
                values.append(value)
        for name, value in self.resolved_headers(environ).items():
            if name.lower() in _CREDENTIAL_HEADERS or _SECRET_NAME.search(name):
                values.append(value)
                # "Bearer abc…": the token alone may show up too.
                values.extend(value.split()[1:])
        return [v for v in values if len(v.strip()) >= MIN_SECRET_LENGTH]

    def target(self) -> str:
        """Where the server is, for people: the command line or the URL (no secrets)."""
        if self.url is not None:
            return self.url
        return " ".join([self.command or "", *self.args])


def _expand(value: str, environ: Mapping[str, str] | None) -> str:
    source = os.environ if environ is None else environ

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return source.get(name, "")

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", lookup, value)


def parse_servers(raw: Mapping[str, Any]) -> dict[str, ServerConfig]:
    """The `mcp_servers` setting as typed configs; ConfigError names the first bad key."""
    servers: dict[str, ServerConfig] = {}
    for name, table in raw.items():
        if not name.strip():
            raise ConfigError("setting `mcp_servers`: a server has an empty name")
        try:
            servers[name] = ServerConfig.model_validate(table)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            key = f"mcp_servers.{name}" + (f".{where}" if where else "")
            message = str(first["msg"]).removeprefix("Value error, ")
            raise ConfigError(f"setting `{key}`: {message}") from exc
    return servers


def enabled_servers(raw: Mapping[str, Any]) -> dict[str, ServerConfig]:
    return {name: config for name, config in parse_servers(raw).items() if config.enabled}


def server_secrets(servers: Iterable[ServerConfig]) -> list[str]:
    return [secret for server in servers for secret in server.secrets()]
