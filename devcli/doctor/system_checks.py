"""The machine: Python, devcli, git, bash, tmux."""

import platform
import re
import shutil
import subprocess
import sys

from devcli import __version__
from devcli.doctor.report import Report, Status


def _version_of(program: str, *args: str) -> str | None:
    path = shutil.which(program)
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else ""


def _numbers(text: str) -> tuple[int, ...]:
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(part) for part in match.groups() if part) if match else ()


def check_system(report: Report) -> None:
    area = "system"
    python = platform.python_version()
    report.add(area, "python", Status.OK, f"{python} ({sys.executable})")
    report.add(area, "devcli", Status.OK, __version__)
    git = _version_of("git", "--version")
    if git is None:
        report.add(
            area,
            "git",
            Status.WARNING,
            "not installed: changes cannot be checkpointed or undone",
            "install git (2.25 or later)",
        )
    elif _numbers(git) and _numbers(git) < (2, 25):
        report.add(area, "git", Status.WARNING, git, "upgrade git to 2.25 or later")
    else:
        report.add(area, "git", Status.OK, git)
    bash = _version_of("bash", "--version")
    if bash is None:
        report.add(
            area, "bash", Status.PROBLEM, "not installed", "install bash: every command runs in it"
        )
    else:
        report.add(area, "bash", Status.OK, bash)
    tmux = _version_of("tmux", "-V")
    report.add(
        area,
        "tmux",
        Status.OK,
        tmux if tmux is not None else "not installed (only devcli's own test suite uses it)",
    )
