"""What an "always allow" answer about a command covers: the program, and for programs that
take a subcommand (git, npm, cargo …) the subcommand too."""

import re
import shlex
from pathlib import Path

# Programs whose first argument picks what they do: `always` covers `git status`, not all git.
# fmt: off
_WITH_SUBCOMMANDS = frozenset({
    "apt", "brew", "bundle", "cargo", "conda", "docker", "dotnet", "gh", "git", "go", "gradle",
    "hatch", "just", "kubectl", "make", "mvn", "nox", "npm", "pip", "pip3", "pnpm", "poetry",
    "rake", "systemctl", "tox", "uv", "yarn",
})
# fmt: on


def command_scope(command: str) -> str:
    """The program (and its subcommand, for tools like git) that an `always` covers."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    # Skip leading VAR=value assignments: they do not change which program runs.
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        words = words[1:]
    if not words:
        return command.strip()
    program = words[0]
    if len(words) > 2 and Path(program).name.startswith("python") and words[1] == "-m":
        return " ".join(words[:3])
    if len(words) > 1 and Path(program).name in _WITH_SUBCOMMANDS and words[1][0] != "-":
        return f"{program} {words[1]}"
    return program
