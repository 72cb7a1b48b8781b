"""`devcli mcp add`, `devcli mcp list` and `devcli mcp remove` as a person types them."""

import sys
import tomllib
from pathlib import Path

from devcli.config import user_config_path
from devcli.mcp.check import check_server
from devcli.mcp.server_config import ServerConfig
from tests.support.cli import run_devcli
from tests.support.mcp_servers import (
    REPOSITORY_ROOT,
    is_running,
    servers_toml,
    started_pids,
    stdio_server,
)


def test_add_list_and_remove_a_server(git_repo: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # By its file: the server then starts from any folder, as a person's would.
    server = str(REPOSITORY_ROOT / "tests" / "support" / "mcp_test_server.py")
    added = run_devcli(
        "mcp", "add", "local", "--env", "SERVICE_TOKEN=tok-12345678", "--tool", "echo.upper",
        "--", sys.executable, server, "--root", str(git_repo), "--pid-file", str(pids),
        cwd=REPOSITORY_ROOT,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert f"Added the MCP server `local` to {user_config_path()}" in added.stdout
    table = tomllib.loads(user_config_path().read_text())["mcp_servers"]["local"]
    assert table["command"] == sys.executable
    assert table["args"][:2] == [server, "--root"]
    assert table["env"] == {"SERVICE_TOKEN": "tok-12345678"}

    (git_repo / ".devcli.toml").write_text(
        servers_toml({"theirs": stdio_server(git_repo, tmp_path / "theirs.pids")})
    )
    listed = run_devcli("mcp", "list", cwd=git_repo)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("local  stdio: ") and "(user config; env SERVICE_TOKEN)" in lines[0]
    assert lines[1] == "  running · 1 tools: echo.upper"
    assert lines[2].startswith("theirs  stdio: ") and "(.devcli.toml)" in lines[2]
    assert "not started" in lines[3] and "--trust-project" in lines[3]
    assert "tok-12345678" not in listed.stdout
    assert started_pids(tmp_path / "theirs.pids") == []
    assert not any(is_running(pid) for pid in started_pids(pids))

    consented = run_devcli("mcp", "list", "--trust-project", cwd=git_repo)
    assert "  running · 8 tools: write_file, fail" in consented.stdout

    removed = run_devcli("mcp", "remove", "local", cwd=git_repo)
    assert removed.returncode == 0 and "Removed the MCP server `local`" in removed.stdout
    again = run_devcli("mcp", "remove", "theirs", cwd=git_repo)
    assert (
        again.returncode == 2 and "declared in" in again.stderr and ".devcli.toml" in again.stderr
    )


def test_add_refuses_what_is_not_a_server() -> None:
    neither = run_devcli("mcp", "add", "x")
    assert neither.returncode == 2
    assert "give either `command` (a stdio server) or `url`" in neither.stderr
    both = run_devcli("mcp", "add", "x", "--url", "http://127.0.0.1:9/mcp", "--", "prog")
    assert both.returncode == 2 and "Traceback" not in both.stderr
    bad_header = run_devcli("mcp", "add", "x", "--url", "http://h/mcp", "--header", "nocolon")
    assert bad_header.returncode == 2 and "--header takes 'Name: value'" in bad_header.stderr
    assert not user_config_path().exists()


def test_list_without_servers_says_how_to_add_one(tmp_path: Path) -> None:
    listed = run_devcli("mcp", "list", cwd=tmp_path)
    assert listed.returncode == 0 and "devcli mcp add NAME -- COMMAND" in listed.stdout


def test_one_server_can_be_checked_on_its_own(git_repo: Path, tmp_path: Path) -> None:
    """What a health report calls: a typed result, good or bad, never an exception."""
    good = check_server(
        "local", ServerConfig.model_validate(stdio_server(git_repo, tmp_path / "pids")), git_repo
    )
    assert good.ok and "write_file" in good.tools and good.problem == ""
    bad = check_server("gone", ServerConfig(url="http://127.0.0.1:9/mcp"), git_repo)
    assert not bad.ok and bad.tools == [] and "http://127.0.0.1:9/mcp" in bad.problem
    assert not any(is_running(pid) for pid in started_pids(tmp_path / "pids"))
