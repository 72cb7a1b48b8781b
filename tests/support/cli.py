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


def new_user_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A user on a machine devcli has never seen: empty home, data, caches and hub cache,
    nothing from the hub (HF_HUB_OFFLINE); `extra` adds to it."""
    env = dict(os.environ)
    env.pop("HF_HUB_CACHE", None)
    env.update(
        DEVCLI_DATA_DIR=str(tmp_path / "data"),
        HF_HOME=str(tmp_path / "hf"),
        HF_HUB_OFFLINE="1",
        HOME=str(tmp_path / "home"),
        LLAMA_CACHE=str(tmp_path / "llama-cache"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def run_devcli_as(
    env: dict[str, str], *args: str, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """`devcli ARGS` with exactly this environment (see new_user_env)."""
    return subprocess.run(
        [sys.executable, "-m", "devcli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
