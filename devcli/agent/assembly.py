"""Builds the tools and hooks of a session from its settings."""

from pathlib import Path

from devcli.agent.hooks import ToolHook
from devcli.agent.loop import Mode
from devcli.config import Settings
from devcli.tools.registry import ToolBox


def build_toolbox(settings: Settings, workspace: Path) -> ToolBox:
    return ToolBox.default(workspace)


def build_hooks(settings: Settings, workspace: Path, mode: Mode) -> list[ToolHook]:
    """Hooks run in order before each call; the first refusal wins."""
    return []
