"""Running `devcli` as a real process, as a user or a CI job does."""

import json
import os
import subprocess
import sys
from pathlib import Path


def run_devcli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`devcli ARGS`; `env` adds to (or overrides) the test's own environment."""
    return subprocess.run(
        [sys.executable, "-m", "devcli", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        timeout=timeout,
        check=False,
    )


def write_turns(path: Path, turns: list[dict[str, object]]) -> Path:
    """A replay file: one recorded assistant turn per line."""
    path.write_text("".join(json.dumps(turn) + "\n" for turn in turns))
    return path
