"""Fills the system prompt template with the facts of this session."""

import os
import platform
from datetime import date
from pathlib import Path
from string import Template

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


def build_system_prompt(workspace: Path, today: date | None = None) -> str:
    template = Template(read_prompt("system_prompt.md"))
    return template.safe_substitute(
        workspace=str(workspace),
        os=describe_os(),
        shell="bash",
        date=(today or date.today()).isoformat(),
        user=os.environ.get("USER", "the user"),
    ).strip()
