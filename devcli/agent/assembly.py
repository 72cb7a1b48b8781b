"""Builds the tools and hooks of a session from its settings."""

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from devcli.agent.approval import ApprovalHook, ApprovalMode, ApprovalPrompt, default_mode
from devcli.agent.budget import PromptMeter, context_window
from devcli.agent.condenser import Condenser
from devcli.agent.hooks import ToolHook
from devcli.agent.loop import Mode
from devcli.config import Settings
from devcli.ids import new_session_id
from devcli.llm.base import Backend
from devcli.safety.gate_context import repository_root
from devcli.safety.hooks import CheckpointHook, ConfinementHook, GateHook
from devcli.tools.registry import ToolBox

if TYPE_CHECKING:
    from devcli.mcp.toolset import McpToolset

# Windows this small get the short system prompt and tool descriptions.
COMPACT_PROMPT_WINDOW = 8192


def build_condenser(settings: Settings, backend: Backend) -> Condenser:
    """The model summarises its own history; the window is the backend's real one."""
    window = context_window(backend, settings.ctx_size)
    return Condenser(backend, PromptMeter(backend), window, threshold=settings.condense_threshold)


def build_toolbox(
    settings: Settings, workspace: Path, approver: ApprovalPrompt | None = None
) -> ToolBox:
    """`approver`, the person at the REPL, is asked about each commit unless `--commit` or the
    configuration already allows them; with neither, the git tool refuses to commit."""
    return ToolBox.default(workspace, settings, approver)


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
) -> list[ToolHook]:
    """Hooks run in order before each call; the first refusal wins.

    `approver` is the person at the terminal (the REPL); headless runs have none.
    `session_id` names the session's checkpoints (`devcli undo --session`).
    """
    approval = default_mode(settings, mode)
    root = repository_root(workspace)
    hooks: list[ToolHook] = []
    # Hard gates come first, so nobody is asked about a command that will be refused.
    if not settings.dangerously_skip_gates:
        hooks.append(GateHook(root, approver, ask=approval is ApprovalMode.ASK))
    hooks.append(ConfinementHook(root, approver))
    # Approvals: ask / auto-edit / auto, from --approval or the mode's default.
    hooks.append(ApprovalHook(approval, workspace, approver))
    # Last: a checkpoint is taken only for a call that is about to run.
    if shutil.which("git") is not None:
        hooks.append(CheckpointHook(workspace, session_id or new_session_id()))
    else:
        print(
            "devcli: git is not installed, so changes cannot be checkpointed or undone",
            file=sys.stderr,
        )
    return hooks
