"""`devcli doctor` as a user with a broken (or working) setup runs it: a table or JSON, a
verdict per check, and exit 0 only when nothing is a problem."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from devcli.llm.decode_probe import FAULT_VARIABLE
from tests.support.llama_server import running_llama_server
from tests.support.llm_files import smollm2_gguf


def _doctor(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devcli", "doctor", *args],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _checks(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    report = json.loads(result.stdout)
    return {f"{c['area']}/{c['name']}": c for c in report["checks"]}


def test_a_working_local_model_passes_with_a_real_decode(git_repo: Path, tmp_path: Path) -> None:
    env = {"DEVCLI_CACHE_DIR": str(tmp_path / "cache")}
    result = _doctor(git_repo, "--json", "--model", str(smollm2_gguf()), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    checks = _checks(result)
    assert json.loads(result.stdout)["ok"] is True
    assert checks["runtime/llama-cpp-python"]["status"] == "ok"
    assert checks["runtime/decode"]["status"] == "ok"
    assert "test process" in checks["runtime/decode"]["detail"]
    assert "repacking" in checks["runtime/cpu path"]["detail"]
    assert checks["model/prompt format"]["detail"] == "the GGUF's chat template"
    assert checks["model/tool calls"]["detail"] == "openhands"
    assert "Q4_1" in checks["model/file"]["detail"] and "8192" in checks["model/file"]["detail"]
    assert "KV cache" in checks["model/memory"]["detail"]
    assert checks["system/git"]["status"] == "ok"
    # The verdict is now remembered, also for `devcli run`.
    again = _checks(_doctor(git_repo, "--json", "--model", str(smollm2_gguf()), env=env))
    assert "remembered" in again["runtime/decode"]["detail"]


def test_the_table_is_the_default_and_names_each_check(git_repo: Path) -> None:
    result = _doctor(git_repo, "--model", str(smollm2_gguf()))
    assert result.returncode == 0
    for word in ("llama-cpp-python", "decode", "prompt format", "memory", "Nothing is in the way"):
        assert word in result.stdout


def test_a_runtime_that_crashes_is_a_problem(git_repo: Path, tmp_path: Path) -> None:
    env = {FAULT_VARIABLE: "segv", "DEVCLI_CACHE_DIR": str(tmp_path / "cache")}
    result = _doctor(git_repo, "--json", "--model", str(smollm2_gguf()), env=env)
    assert result.returncode == 1
    decode = _checks(result)["runtime/decode"]
    assert decode["status"] == "problem" and "SIGSEGV" in decode["detail"]


def test_no_model_and_no_network_is_a_problem_with_the_way_out(
    git_repo: Path, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = {
        "HF_ENDPOINT": closed,
        "HF_HUB_OFFLINE": "",
        "HOME": str(tmp_path / "home"),
        "HF_HOME": str(tmp_path / "hf"),
        "LLAMA_CACHE": str(tmp_path / "llama"),
    }
    result = _doctor(git_repo, "--json", env=env)
    assert result.returncode == 1
    checks = _checks(result)
    assert checks["model/model"]["status"] == "problem"
    assert "devcli models pull" in checks["model/model"]["fix"]
    assert checks["network/hugging face"]["status"] == "warning"
    assert checks["model/disk"]["status"] == "ok"


def test_a_closed_endpoint_is_a_problem(git_repo: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _doctor(git_repo, "--json", "--endpoint", f"http://127.0.0.1:{port}/v1")
    assert result.returncode == 1
    endpoint = _checks(result)["server/endpoint"]
    assert endpoint["status"] == "problem" and "cannot be reached" in endpoint["detail"]
    assert "runtime/llama-cpp-python" not in _checks(result)  # a server run needs no runtime


def test_a_real_server_is_reached_listed_and_returns_tool_calls(
    git_repo: Path, tmp_path: Path
) -> None:
    with running_llama_server(tmp_path, n_ctx=2048) as server:
        result = _doctor(git_repo, "--json", "--endpoint", server.url)
    assert result.returncode == 0, result.stdout
    checks = _checks(result)
    assert checks["server/endpoint"]["status"] == "ok"
    assert Path(server.model).name in checks["server/models"]["detail"]
    # llama-cpp-python's server reports no window (llama.cpp's own llama-server does).
    window = checks["server/context window"]
    assert window["status"] == "warning" and "--ctx-size" in window["fix"]
    assert checks["server/tool calls"]["detail"] == "returned as structured tool calls"


def test_the_sandbox_line_says_whether_commands_are_contained(
    git_repo: Path, tmp_path: Path
) -> None:
    missing = {"DEVCLI_SANDBOX_BINARY": str(tmp_path / "no-bwrap")}
    result = _doctor(git_repo, "--json", "--endpoint", "http://127.0.0.1:9/v1", env=missing)
    sandbox = _checks(result)["sandbox/sandbox"]
    assert sandbox["status"] == "warning" and "cannot run here" in sandbox["detail"]
    required = _doctor(
        git_repo, "--json", "--endpoint", "http://127.0.0.1:9/v1",
        env={**missing, "DEVCLI_SANDBOX": "required"},
    )  # fmt: skip
    assert _checks(required)["sandbox/sandbox"]["status"] == "problem"
    assert required.returncode == 1


def test_configured_mcp_servers_are_started_listed_and_stopped(
    git_repo: Path, tmp_path: Path
) -> None:
    from tests.support.mcp_servers import is_running, started_pids, stdio_server, write_user_config

    pids = tmp_path / "pids"
    config = tmp_path / "config"
    write_user_config(
        config,
        {"local": stdio_server(git_repo, pids), "broken": {"command": str(tmp_path / "none")}},
    )
    env = {"XDG_CONFIG_HOME": str(config)}
    result = _doctor(git_repo, "--json", "--endpoint", "http://127.0.0.1:9/v1", env=env)
    checks = _checks(result)
    assert checks["mcp/local"]["status"] == "ok" and "write_file" in checks["mcp/local"]["detail"]
    assert checks["mcp/broken"]["status"] == "problem"
    assert not any(is_running(pid) for pid in started_pids(pids))
