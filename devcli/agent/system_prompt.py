"""Fills the system prompt template with the facts of this session."""

import os
import platform
from datetime import date
from pathlib import Path
from string import Template

from devcli.agent.instructions import instructions_section
from devcli.prompt_files import read_prompt


def describe_os() -> str:
    if platform.system() == "Linux":
        try:
            release = platform.freedesktop_os_release()
            return f"Linux ({release.get('PRETTY_NAME', 'unknown distribution')})"
        except OSError:
            return "Linux"
    if platform.system() == "Darwin":
        return f"macOS {platform.mac_ver()[0]}"
    return platform.platform()


def build_system_prompt(
    workspace: Path, today: date | None = None, compact: bool = False, sandbox: str = ""
) -> str:
    """`compact` picks the short prompt meant for context windows of a few thousand tokens;
    `sandbox` is one sentence on what commands may write ("" when they are not confined)."""
    template = Template(read_prompt("system_prompt_compact.md" if compact else "system_prompt.md"))
    if sandbox:  # the last line of the environment facts, or one more of its bullets
        sandbox = f" {sandbox}" if compact else f"\n* {sandbox}"
    prompt = template.safe_substitute(
        sandbox=sandbox,
        workspace=str(workspace),
        os=describe_os(),
        shell="bash",
        date=(today or date.today()).isoformat(),
        user=os.environ.get("USER", "the user"),
    ).strip()
    project = instructions_section(workspace)
    return f"{prompt}\n\n{project}" if project else prompt
