"""Settings, layered: defaults < ~/.config/devcli/config.toml < .devcli.toml < DEVCLI_* < flags."""

import os
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ApprovalMode(StrEnum):
    """Which calls ask first: every command and edit, commands only, or none."""

    ASK = "ask"
    AUTO_EDIT = "auto-edit"
    AUTO = "auto"


def flag(
    default: Any,
    help: str,
    *,
    short: str | None = None,
    group: str = "model",
    ge: int | None = None,
) -> Any:
    """A setting that is also a command-line flag (`--name-with-dashes`), with its help.
    `group` says which commands take it: "model" (the model and how it runs), "agent" (how
    the session runs) or "commit"."""
    extra: dict[str, str] = {"flag_group": group}
    if short is not None:
        extra["flag_short"] = short
    return Field(default, description=help, ge=ge, json_schema_extra=extra)  # type: ignore[arg-type]


class SandboxMode(StrEnum):
    """Where commands may write; `required` is workspace-write that refuses to run without."""

    WORKSPACE_WRITE = "workspace-write"
    READ_ONLY = "read-only"
    OFF = "off"
    REQUIRED = "required"


class NetworkMode(StrEnum):
    ON = "on"
    OFF = "off"


# Caches that installers write even when the work itself stays in the repository.
DEFAULT_SANDBOX_WRITABLE = (
    "~/.cache/pip",
    "~/.npm",
    "~/.cargo/registry",
    "~/.cargo/git",
    "~/.cache/uv",
)
# Settings given as lists; DEVCLI_* variables spell them comma-separated.
_LIST_SETTINGS = ("tools", "sandbox_writable", "trusted_projects")


class ConfigError(ValueError):
    """A settings file or variable that does not make sense; the message names it."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # Which model, and how to reach it.
    model: str | None = flag(
        None,
        "A .gguf path, a Hugging Face REPO:QUANT or REPO/FILE.gguf, or a server's model name.",
        short="-m",
    )
    endpoint: str | None = flag(None, "An OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1.")
    provider: str | None = flag(None, "vllm, llamacpp, ollama, lmstudio or mistral.")
    api_key: str | None = flag(None, "Key for the endpoint.")
    # Local inference.
    ctx_size: int | None = flag(None, "Context window in tokens.", ge=256)
    gpu_layers: int | None = flag(None, "Layers to offload to the GPU (-1: all).")
    threads: int | None = flag(None, "CPU threads.", ge=1)
    cache_type_k: str = flag("q8_0", "K cache type: f16, q8_0, q4_0 … [q8_0].")
    cache_type_v: str = flag("f16", "V cache type: f16, q8_0, q4_0 … [f16].")
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
    tool_format: Literal["auto", "mistral", "openhands", "hermes", "llama3"] = flag(
        "auto",
        "auto (from the model), mistral, hermes (<tool_call> JSON), llama3 (JSON) or "
        "openhands (text calls).",
    )
    # "required": every reply must be one tool call (a grammar enforces it on local models).
    tool_choice: Literal["auto", "required"] = flag(
        "auto",
        "auto (the model may answer in prose) or required (every reply must be a tool call, "
        "enforced by a grammar on local models).",
    )
    system_prompt: Literal["devcli", "official"] = flag(
        "devcli", "devcli (default) or official (the model's own)."
    )
    verbose: bool = flag(False, "Show the model runtime's own log.")
    # Sampling; None means the model card's value.
    temperature: float | None = flag(None, "Sampling.")
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    repeat_penalty: float | None = None
    seed: int | None = flag(None, "Sampling seed.")
    max_tokens: int | None = None
    reasoning_effort: Literal["none", "high"] | None = flag(None, "none or high (Mistral Small 4).")
    # Network.
    tries: int = 4
    request_timeout: float = 600.0
    # The agent.
    max_steps: int = flag(100, "Stop after this many model turns [100].", group="agent", ge=1)
    condense_threshold: float = Field(default=0.75, gt=0.1, lt=1.0)
    approval: ApprovalMode | None = flag(None, "ask, auto-edit or auto.", group="agent")
    dangerously_skip_gates: bool = flag(
        False,
        "Allow destructive commands (recursive deletes, hard resets …) without asking.",
        group="agent",
    )
    commit: bool = flag(False, "Commit the result on the current branch when done.", group="commit")
    tools: list[str] | None = None
    # MCP servers, by name: each table is checked by devcli.mcp.server_config.
    mcp_servers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Folders whose `.devcli.toml` may start MCP servers without asking (user config only).
    trusted_projects: list[str] = Field(default_factory=list)
    # The sandbox around commands (Linux, bubblewrap).
    sandbox: SandboxMode = flag(
        SandboxMode.WORKSPACE_WRITE,
        "Where commands may write: workspace-write (the repository, a private TMPDIR and "
        "package caches; the default where the sandbox works), read-only, off, or required "
        "(workspace-write, and exit 2 where the sandbox cannot run).",
        group="agent",
    )
    network: NetworkMode = flag(
        NetworkMode.ON, "on, or off: commands in the sandbox get no network.", group="agent"
    )
    sandbox_writable: list[str] = Field(default_factory=lambda: list(DEFAULT_SANDBOX_WRITABLE))
    sandbox_binary: str | None = None  # a bwrap to use instead of the one devcli finds


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
        elif name in _LIST_SETTINGS:
            values[name] = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            values[name] = raw
    return values


# The repository's own file can be written by commands in the sandbox, so it may only make
# the sandbox stricter: otherwise one session could switch it off for the next.
_REPOSITORY_MAY_SET = {"sandbox": ("required", "read-only"), "network": ("off",)}
# Settings a repository's own `.devcli.toml` may not give itself: which folders are trusted
# (their MCP servers start without asking) and where the sandbox's walls are.
_REPOSITORY_MAY_NOT_SET = ("trusted_projects", "sandbox_writable", "sandbox_binary")


def _check_repository_file(path: Path, values: Mapping[str, Any]) -> None:
    for key, allowed in _REPOSITORY_MAY_SET.items():
        if key in values and str(values[key]) not in allowed:
            raise ConfigError(
                f"{path}: setting `{key}` may only be {' or '.join(map(repr, allowed))} in the "
                "repository's own file, which commands can write; set it in "
                f"{user_config_path()}, DEVCLI_{key.upper()} or --{key}"
            )
    for key in _REPOSITORY_MAY_NOT_SET:
        if key in values:
            raise ConfigError(
                f"{path}: setting `{key}` is read from {user_config_path()} only (or "
                f"DEVCLI_{key.upper()}): the repository's own file, which commands can write, "
                "may not set it"
            )


def load_settings(
    workspace: Path,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    project_file = project_config_path(workspace)
    project = read_config_file(project_file)
    _check_repository_file(project_file, project)
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
