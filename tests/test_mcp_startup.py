"""Without MCP servers configured, devcli never imports the MCP stack (read from
`python -X importtime`, which lists every module a process imports)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import write_turns
from tests.support.mcp_servers import stdio_server, write_user_config

MCP_STACK = ("mcp", "mcp_types", "devcli.mcp", "jsonschema", "httpx2", "tomlkit")
FINISH = {
    "tool_calls": [{"name": "finish", "arguments": {"message": "ok", "task_completed": "true"}}]
}


def imported(*args: str, cwd: Path) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "devcli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return modules, result


def of_the_stack(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == s or m.startswith(s + ".") for s in MCP_STACK))


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["mcp", "--help"]])
def test_help_imports_nothing_of_mcp(args: list[str], tmp_path: Path) -> None:
    modules, result = imported(*args, cwd=tmp_path)
    assert result.returncode == 0 and "Usage:" in result.stdout
    assert "devcli.cli" in modules  # the probe sees devcli's own imports
    assert of_the_stack(modules) == []


def test_a_run_without_servers_imports_nothing_of_mcp(git_repo: Path, tmp_path: Path) -> None:
    turns = write_turns(tmp_path / "turns.jsonl", [FINISH])
    modules, result = imported("replay", str(turns), cwd=git_repo)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "devcli.agent.loop" in modules
    assert of_the_stack(modules) == []


def test_a_run_with_a_server_does_import_it(git_repo: Path, tmp_path: Path) -> None:
    """The probe would see the stack: configured, it is loaded."""
    write_user_config(
        Path(os.environ["XDG_CONFIG_HOME"]), {"local": stdio_server(git_repo, tmp_path / "pids")}
    )
    turns = write_turns(tmp_path / "turns.jsonl", [FINISH])
    modules, result = imported("replay", str(turns), cwd=git_repo)
    assert result.returncode == 0, result.stderr[-2000:]
    assert {"mcp", "devcli.mcp.manager", "jsonschema"} <= modules
