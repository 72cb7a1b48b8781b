"""Builds the tools and hooks of a session from its settings."""

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from devcli.agent.budget import PromptMeter, context_window
from devcli.agent.condenser import Condenser
from devcli.agent.loop import Mode
from devcli.agent.replay_condenser import replay_condenser
from devcli.checkpoints.step_hook import CheckpointHook
from devcli.config import ApprovalMode, ConfigError, Settings
from devcli.ids import new_session_id
from devcli.llm.backend import Backend
from devcli.llm.replay import ReplayBackend
from devcli.notices import warn
from devcli.paths import repository_root
from devcli.safety.approval import ApprovalHook, ApprovalPrompt
from devcli.safety.call_hooks import ConfinementHook, GateHook
from devcli.safety.write_boundary import WriteBoundaryHook
from devcli.sandbox.launch import SandboxNotice, start_sandbox
from devcli.tools.base import CallHook
from devcli.tools.registry import ToolBox

if TYPE_CHECKING:
    from devcli.mcp.toolset import McpToolset


def default_mode(settings: Settings, mode: Mode) -> ApprovalMode:
    """The configured approval mode, else `ask` with a person and `auto` without one."""
    if settings.approval is not None:
        return ApprovalMode(settings.approval)
    return ApprovalMode.ASK if mode is Mode.INTERACTIVE else ApprovalMode.AUTO


# Windows this small get the short system prompt and tool descriptions.
COMPACT_PROMPT_WINDOW = 8192


def build_condenser(settings: Settings, backend: Backend) -> Condenser:
    """The model summarises its own history; the window is the backend's real one. A replay
    never spends its recorded turns on summaries."""
    window = context_window(backend, settings.ctx_size)
    meter = PromptMeter(backend)
    if isinstance(backend, ReplayBackend):
        return replay_condenser(backend, meter, window, settings.condense_threshold)
    return Condenser(backend, meter, window, threshold=settings.condense_threshold)


def build_toolbox(
    settings: Settings,
    workspace: Path,
    approver: ApprovalPrompt | None = None,
    notice: SandboxNotice | None = None,
) -> ToolBox:
    """`approver`, the person at the REPL, is asked about each commit unless `--commit` or the
    configuration already allows them; with neither, the git tool refuses to commit.

    The tools get the session's sandbox; `notice` hears, once, why it cannot run. Raises
    ConfigError (SandboxUnavailable) when it is required and cannot.
    """
    sandbox = start_sandbox(settings, workspace, notice)
    try:
        return ToolBox.default(workspace, settings, approver, sandbox)
    except ConfigError:
        if sandbox is not None:
            sandbox.close()
        raise


def attach_mcp_tools(
    toolbox: ToolBox, settings: Settings, workspace: Path, notices: Callable[[str], None]
) -> "McpToolset | None":
    """Start the configured MCP servers and offer their tools; None when there are none.

    The MCP stack is imported only here, so a session without servers never loads it.
    Closing the toolbox stops the servers.
    """
    if not settings.mcp_servers:
        return None
    from devcli.mcp.toolset import start_toolset

    toolset = start_toolset(settings.mcp_servers, workspace, notices, toolbox.tools)
    toolbox.extend(toolset.tools, toolset.close)
    return toolset


def session_secrets(settings: Settings) -> list[str | None]:
    """Configured values to mask in everything devcli writes: the API key, MCP credentials."""
    secrets: list[str | None] = [settings.api_key]
    if settings.mcp_servers:
        from devcli.mcp.server_config import parse_servers, server_secrets

        secrets += server_secrets(parse_servers(settings.mcp_servers).values())
    return secrets


def build_hooks(
    settings: Settings,
    workspace: Path,
    mode: Mode,
    approver: ApprovalPrompt | None = None,
    session_id: str | None = None,
    sandboxed: bool = False,
) -> list[CallHook]:
    """Hooks run in order before each call; the first refusal wins.

    `approver` is the person at the terminal (the REPL); headless runs have none.
    `session_id` names the session's checkpoints (`devcli undo --session`). `sandboxed` says
    the shell runs in a sandbox that confines writes (ToolBox.sandboxed): commands the gates
    cannot read are then left to it.
    """
    approval = default_mode(settings, mode)
    root = repository_root(workspace)
    hooks: list[CallHook] = []
    # Hard gates come first, so nobody is asked about a command that will be refused.
    if not settings.dangerously_skip_gates:
        hooks.append(
            GateHook(root, approver, ask=approval is ApprovalMode.ASK, sandboxed=sandboxed)
        )
    hooks.append(WriteBoundaryHook())
    hooks.append(ConfinementHook(root, approver))
    # Approvals: ask / auto-edit / auto, from --approval or the mode's default.
    hooks.append(ApprovalHook(approval, workspace, approver))
    # Last: a checkpoint is taken only for a call that is about to run.
    if shutil.which("git") is not None:
        hooks.append(CheckpointHook(workspace, session_id or new_session_id()))
    else:
        warn("git is not installed, so changes cannot be checkpointed or undone")
    return hooks
