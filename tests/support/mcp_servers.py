"""Configuring and running the tests' own MCP server (tests/support/mcp_test_server.py).

The stdio one is started by devcli from its configuration; the HTTP one is started here on
127.0.0.1, as a service devcli connects to. Every process of the server writes its pid to a
file, and `/proc` tells whether it still runs.
"""

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN_S = 60.0  # a bound on waiting, not a speed check


def stdio_server(root: Path, pid_file: Path, **settings: Any) -> dict[str, Any]:
    """A `[mcp_servers.NAME]` table that starts the test server over stdio."""
    return {
        "command": sys.executable,
        "args": [
            "-m",
            "tests.support.mcp_test_server",
            "--root",
            str(root),
            "--pid-file",
            str(pid_file),
        ],
        "cwd": str(REPOSITORY_ROOT),
        **settings,
    }


def toml_value(value: Any) -> str:
    """TOML for the few value kinds the tests write (JSON's strings and arrays are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
        )
    return json.dumps(value)


def servers_toml(servers: dict[str, dict[str, Any]], **top: Any) -> str:
    lines = [f"{key} = {toml_value(value)}" for key, value in top.items()]
    for name, table in servers.items():
        lines.append(f"\n[mcp_servers.{json.dumps(name)}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def write_user_config(config_home: Path, servers: dict[str, dict[str, Any]], **top: Any) -> Path:
    path = config_home / "devcli" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(servers_toml(servers, **top))
    return path


def started_pids(pid_file: Path) -> list[int]:
    if not pid_file.exists():
        return []
    return [int(line) for line in pid_file.read_text().split()]


def is_running(pid: int) -> bool:
    """Alive and not a zombie, read from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_http_server(root: Path, pid_file: Path, log: Path) -> Iterator[str]:
    """The test server on streamable HTTP; yields its URL and stops it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    command = [
        sys.executable, "-m", "tests.support.mcp_test_server",
        "--root", str(root), "--pid-file", str(pid_file), "--port", str(port),
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=REPOSITORY_ROOT, stdout=sink, stderr=sink)
    try:
        deadline = time.monotonic() + READY_WITHIN_S
        while not _answers(url):
            if process.poll() is not None:
                raise RuntimeError(f"the HTTP MCP server exited early:\n{log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the HTTP MCP server never answered:\n{log.read_text()[-2000:]}"
                )
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _answers(url: str) -> bool:
    """Any HTTP answer (a GET without a session is refused) means the server listens."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
