"""MCP servers in real `devcli replay` runs: the tests' own server (written with the `mcp` SDK)
over stdio and over streamable HTTP on 127.0.0.1, started from real configuration files."""

import os
import subprocess
from pathlib import Path
from typing import Any

from devcli.events import Finished, Observation, read_session_file
from tests.support.cli import run_devcli, write_turns
from tests.support.mcp_servers import (
    is_running,
    running_http_server,
    servers_toml,
    started_pids,
    stdio_server,
    write_user_config,
)
from tests.support.mcp_test_server import PIXEL_PNG

TOOL_TIMEOUT_S = 2


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"content": f"Calling {name}.", "tool_calls": [{"name": name, "arguments": arguments}]}


FINISH = {
    "tool_calls": [{"name": "finish", "arguments": {"message": "done", "task_completed": "true"}}]
}


def config_home() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"])


def replay(
    repo: Path, tmp_path: Path, turns: list[dict[str, Any]], *flags: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`devcli replay` of these turns in `repo`; each run gets a session file of its own."""
    session = tmp_path / f"session-{len(list(tmp_path.glob('session-*.jsonl')))}.jsonl"
    turns_file = write_turns(tmp_path / "turns.jsonl", turns)
    result = run_devcli(
        "replay", str(turns_file), "--session-file", str(session), *flags,
        cwd=repo,
        env=env,
        timeout=180,
    )  # fmt: skip
    return result, session


def observations(session: Path) -> list[Observation]:
    return [e for e in read_session_file(session) if isinstance(e, Observation)]


def test_a_stdio_server_runs_calls_reports_errors_and_is_restarted_once(
    git_repo: Path, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    write_user_config(
        config_home(), {"local": stdio_server(git_repo, pids, tool_timeout_s=TOOL_TIMEOUT_S)}
    )
    turns = [
        call("mcp__local__write_file", path="notes/from_mcp.txt", content="written by MCP\n"),
        call("mcp__local__write_file", path="notes/other.txt"),
        call("mcp__local__plan", steps=[{"title": "read", "minutes": 0}]),
        call("mcp__local__fail", reason="the test asks"),
        call("mcp__local__sleep", seconds=60),
        call("mcp__local__echo_upper", text="still here"),
        call("mcp__local__crash"),
        call("mcp__local__echo_upper", text="back again"),
        call("mcp__local__crash"),
        call("mcp__local__echo_upper", text="too late"),
        FINISH,
    ]
    result, session = replay(git_repo, tmp_path, turns)

    assert result.returncode == 0, result.stderr
    assert (git_repo / "notes" / "from_mcp.txt").read_text() == "written by MCP\n"
    seen = observations(session)
    assert [o.name for o in seen][:10] == [t["tool_calls"][0]["name"] for t in turns[:10]]
    wrote, missing, bad_plan, failed, slept, alive, crashed, back, crashed_again, late = seen[:10]
    assert not wrote.is_error and "wrote 15 characters" in wrote.content
    assert missing.is_error and "missing required parameter `content`" in missing.content
    assert bad_plan.is_error and "`steps.0.minutes`" in bad_plan.content
    assert failed.is_error and "refused on purpose: the test asks" in failed.content
    assert slept.is_error and f"no answer within {TOOL_TIMEOUT_S} s" in slept.content
    assert not alive.is_error and alive.content == "STILL HERE"
    assert crashed.is_error and "restarted the server" in crashed.content
    assert not back.is_error and back.content == "BACK AGAIN"
    assert crashed_again.is_error and "already been restarted once" in crashed_again.content
    assert late.is_error and "is not running" in late.content
    assert "MCP server `local` stopped (the server process exited); restarted it" in result.stderr
    # One start and one restart, and nothing left running once devcli has exited.
    assert len(started_pids(pids)) == 2
    assert not any(is_running(pid) for pid in started_pids(pids))


def test_an_http_server_answers_and_its_crash_ends_in_an_observation(
    git_repo: Path, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    token = "s3cr3t-t0ken-for-the-test"
    with running_http_server(git_repo, pids, tmp_path / "http.log") as url:
        write_user_config(
            config_home(),
            {
                "remote": {
                    "url": url,
                    "headers": {"Authorization": f"Bearer {token}"},
                    "tool_timeout_s": TOOL_TIMEOUT_S,
                }
            },
        )
        turns = [
            call("mcp__remote__write_file", path="over_http.txt", content=token),
            call("mcp__remote__fail", reason="over HTTP"),
            call("mcp__remote__sleep", seconds=60),
            call("mcp__remote__describe"),
            call("mcp__remote__crash"),
            FINISH,
        ]
        result, session = replay(git_repo, tmp_path, turns)

    assert result.returncode == 0, result.stderr
    assert (git_repo / "over_http.txt").read_text() == token
    wrote, failed, slept, described, crashed, _ = observations(session)
    assert not wrote.is_error
    assert failed.is_error and "refused on purpose: over HTTP" in failed.content
    assert slept.is_error and f"no answer within {TOOL_TIMEOUT_S} s" in slept.content
    assert "Resource link: readme <file://" in described.content
    assert (
        "[image, image/png, 70 bytes: shown to the model if it takes images]" in described.content
    )
    # The image is kept by content, outside the session, for models that take images.
    (kept,) = described.images
    assert Path(kept).read_bytes() == PIXEL_PNG
    assert Path(kept).parent == Path(os.environ["DEVCLI_DATA_DIR"]) / "tool-images"
    assert crashed.is_error and "stopped while running `crash`" in crashed.content
    assert "Restarting it failed" in crashed.content
    # The header's token is masked wherever devcli writes, like an API key.
    assert token not in session.read_text() and "[REDACTED]" in session.read_text()
    assert token not in result.stdout + result.stderr


def test_a_server_that_does_not_start_is_reported_in_one_line_and_left_out(
    git_repo: Path, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    write_user_config(
        config_home(),
        {
            "missing": {"command": str(tmp_path / "no-such-server")},
            "silent": {"command": "sleep", "args": ["3600"], "startup_timeout_s": 1},
            "local": stdio_server(git_repo, pids),
        },
    )
    turns = [
        call("mcp__local__echo_upper", text="fine"),
        call("mcp__missing__anything"),
        FINISH,
    ]
    result, session = replay(git_repo, tmp_path, turns)

    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if "did not start" in line]
    assert len(notices) == 2, result.stderr
    assert any("`missing`" in n and "no such program" in n for n in notices)
    assert any("`silent`" in n and "no answer within 1 s" in n for n in notices)
    echoed, unknown, _ = observations(session)
    assert echoed.content == "FINE"
    assert unknown.is_error and "There is no tool named `mcp__missing__anything`" in unknown.content
    assert "Traceback" not in result.stderr
    assert not any(is_running(pid) for pid in started_pids(pids))


def test_a_project_server_needs_consent_before_it_starts(git_repo: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    (git_repo / ".devcli.toml").write_text(servers_toml({"project": stdio_server(git_repo, pids)}))
    turns = [call("mcp__project__echo_upper", text="allowed"), FINISH]

    refused, _ = replay(git_repo, tmp_path, turns)
    assert refused.returncode == 2
    assert "declares MCP servers (`project`)" in refused.stderr
    assert "--trust-project" in refused.stderr and "trusted_projects" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert started_pids(pids) == []  # never started

    allowed, session = replay(git_repo, tmp_path, turns, "--trust-project")
    assert allowed.returncode == 0, allowed.stderr
    assert observations(session)[0].content == "ALLOWED"
    assert len(started_pids(pids)) == 1

    write_user_config(config_home(), {}, trusted_projects=[str(git_repo)])
    trusted, session = replay(git_repo, tmp_path, turns)
    assert trusted.returncode == 0, trusted.stderr
    assert observations(session)[0].content == "ALLOWED"
    assert not any(is_running(pid) for pid in started_pids(pids))


def test_approvals_ask_for_untrusted_servers_and_trust_is_the_users_to_give(
    git_repo: Path, tmp_path: Path
) -> None:
    """In `auto-edit`, an MCP tool needs a yes (a headless run has nobody to say it) unless
    its server is trusted; a project file's `trust` counts only in a trusted folder."""
    write_user_config(
        config_home(),
        {
            "asks": stdio_server(git_repo, tmp_path / "asks.pids"),
            "trusted": stdio_server(git_repo, tmp_path / "trusted.pids", trust=True),
        },
    )
    (git_repo / ".devcli.toml").write_text(
        servers_toml({"own": stdio_server(git_repo, tmp_path / "own.pids", trust=True)})
    )
    turns = [
        call("mcp__asks__echo_upper", text="a"),
        call("mcp__trusted__echo_upper", text="b"),
        call("mcp__own__echo_upper", text="c"),
        FINISH,
    ]

    result, session = replay(
        git_repo, tmp_path, turns, "--trust-project", DEVCLI_APPROVAL="auto-edit"
    )
    assert result.returncode == 0, result.stderr
    asks, trusted, own, _ = observations(session)
    assert asks.is_error and "approval mode `auto-edit`" in asks.content
    assert not trusted.is_error and trusted.content == "B"
    assert own.is_error and "approval mode `auto-edit`" in own.content

    write_user_config(
        config_home(),
        {"trusted": stdio_server(git_repo, tmp_path / "trusted.pids", trust=True)},
        trusted_projects=[str(git_repo)],
    )
    result, session = replay(git_repo, tmp_path, turns[1:], DEVCLI_APPROVAL="auto-edit")
    assert result.returncode == 0, result.stderr
    assert [o.content for o in observations(session)[:2]] == ["B", "C"]

    result, session = replay(git_repo, tmp_path, turns[1:], DEVCLI_APPROVAL="auto")
    assert [o.is_error for o in observations(session)] == [False, False, False]
    finished = read_session_file(session)[-1]
    assert isinstance(finished, Finished) and finished.exit_code == 0
