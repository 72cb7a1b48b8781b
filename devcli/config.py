"""Settings, layered: defaults < ~/.config/devcli/config.toml < .devcli.toml < DEVCLI_* < flags."""

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ApprovalMode = Literal["ask", "auto-edit", "auto"]


class ConfigError(ValueError):
    """A settings file or variable that does not make sense; the message names it."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # Which model, and how to reach it.
    model: str | None = None
    endpoint: str | None = None
    provider: str | None = None
    api_key: str | None = None
    # Local inference.
    ctx_size: int | None = None
    gpu_layers: int | None = None
    threads: int | None = None
    cache_type_k: str = "q8_0"
    cache_type_v: str = "f16"
    # Weight repacking into the CPU's extra buffer types; "auto" turns it off where AMX is
    # reported (llama.cpp crashes there).
    cpu_repack: Literal["auto", "on", "off"] = "auto"
    prompt_cache: bool = Field(
        default=True,
        description="Keep the KV state of local models' prompts on disk, so the next run with "
        "the same system prompt and tools (or --continue) evaluates only what is new.",
    )
    prompt_cache_max_gb: float = Field(
        default=4.0,
        gt=0,
        description="Size bound of the prompt cache in GB; the least recently used states go "
        "first.",
    )
    tool_format: Literal["auto", "mistral", "openhands"] = "auto"
    # "required": every reply must be one tool call (a grammar enforces it on local models).
    tool_choice: Literal["auto", "required"] = "auto"
    system_prompt: Literal["devcli", "official"] = "devcli"
    verbose: bool = False
    # Sampling; None means the model card's value.
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    repeat_penalty: float | None = None
    seed: int | None = None
    max_tokens: int | None = None
    reasoning_effort: Literal["none", "high"] | None = None
    # Network.
    tries: int = 4
    request_timeout: float = 600.0
    # The agent.
    max_steps: int = 100
    condense_threshold: float = Field(default=0.75, gt=0.1, lt=1.0)
    approval: ApprovalMode | None = None
    dangerously_skip_gates: bool = False
    commit: bool = False
    tools: list[str] | None = None
    # MCP servers, by name: each table is checked by devcli.mcp.server_config.
    mcp_servers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Folders whose `.devcli.toml` may start MCP servers without asking (user config only).
    trusted_projects: list[str] = Field(default_factory=list)


# Settings a repository's own `.devcli.toml` may not give itself.
USER_ONLY_SETTINGS = ("trusted_projects",)


def user_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "devcli" / "config.toml"


def project_config_path(workspace: Path) -> Path:
    return workspace / ".devcli.toml"


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        raw = environ.get(f"DEVCLI_{name.upper()}")
        if raw is None:
            continue
        if field.annotation is bool:
            values[name] = raw.strip().lower() in ("1", "true", "yes", "on")
        elif name in ("tools", "trusted_projects"):
            values[name] = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            values[name] = raw
    return values


def load_settings(
    workspace: Path,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    project_file = project_config_path(workspace)
    project = read_config_file(project_file)
    for name in USER_ONLY_SETTINGS:
        if name in project:
            raise ConfigError(
                f"{project_file}: setting `{name}` is read from {user_config_path()} only"
            )
    layers: list[tuple[str, dict[str, Any]]] = [
        (str(user_config_path()), read_config_file(user_config_path())),
        (str(project_file), project),
        ("DEVCLI_* variables", _from_environment(os.environ if environ is None else environ)),
        ("command-line flags", {k: v for k, v in (overrides or {}).items() if v is not None}),
    ]
    merged: dict[str, Any] = {}
    for source, values in layers:
        servers = values.get("mcp_servers")
        if isinstance(servers, dict) and isinstance(merged.get("mcp_servers"), dict):
            # A later file adds servers, or replaces one of the same name; it never drops others.
            values = {**values, "mcp_servers": {**merged["mcp_servers"], **servers}}
        merged.update(values)
        try:
            Settings.model_validate(merged)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{source}: setting `{key}`: {first['msg']}") from exc
    return Settings.model_validate(merged)
