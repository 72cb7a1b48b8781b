"""The persistent shell inside the sandbox: what it can reach, and that the ways devcli
stops commands still work across the process namespace. Real bash, real bubblewrap."""

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devcli.config import NetworkMode, SandboxMode, Settings
from devcli.events import ToolCall
from devcli.safety.call_hooks import GateHook
from devcli.sandbox.launch import Sandbox, start_sandbox
from devcli.tools.base import Refusal, ToolResult
from devcli.tools.bash import BashArgs, BashTool
from tests.support.sandbox import requires_sandbox

pytestmark = requires_sandbox


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    return folder


def open_tool(repo: Path, settings: Settings) -> tuple[BashTool, Sandbox]:
    sandbox = start_sandbox(settings, repo)
    assert sandbox is not None and sandbox.state.active
    return BashTool(repo, soft_timeout=3, hard_timeout=60, sandbox=sandbox), sandbox


@pytest.fixture
def bash(repo: Path) -> Iterator[BashTool]:
    tool, sandbox = open_tool(repo, Settings(sandbox_writable=[]))
    yield tool
    tool.close()
    sandbox.close()


def call(tool: BashTool, command: str, **extra: object) -> ToolResult:
    return tool.execute(BashArgs.model_validate({"command": command, **extra}))


def test_writes_fail_outside_the_repository_with_the_commands_own_error(
    bash: BashTool, repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "sentinel").write_text("keep")
    result = call(bash, f"rm {tmp_path}/sentinel; touch ~/devcli-home-test; echo done")
    assert result.content.count("Read-only file system") == 2
    assert (tmp_path / "sentinel").read_text() == "keep"
    assert not (Path.home() / "devcli-home-test").exists()
    assert call(bash, "touch made && echo $?").content.startswith("0")
    assert (repo / "made").exists()


def test_configured_caches_are_writable_and_their_neighbours_are_not(
    repo: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    tool, sandbox = open_tool(repo, Settings(sandbox_writable=[str(cache)]))
    try:
        result = call(tool, f"touch {cache}/entry && echo cached; touch {tmp_path}/beside")
    finally:
        tool.close()
        sandbox.close()
    assert result.content.startswith("cached") and "Read-only file system" in result.content
    assert (cache / "entry").exists() and not (tmp_path / "beside").exists()


def test_the_private_temporary_folder_is_writable_and_outlives_a_new_shell(repo: Path) -> None:
    tool, sandbox = open_tool(repo, Settings(sandbox_writable=[]))
    try:
        assert sandbox.folders is not None and sandbox.folders.temporary is not None
        tmpdir = sandbox.folders.temporary
        assert call(tool, 'echo "$TMPDIR"').content.splitlines()[0] == str(tmpdir)
        assert call(tool, 'echo kept > "$TMPDIR/note" && mktemp').exit_code == 0
        call(tool, "exit 3")
        after = call(tool, 'cat "$TMPDIR/note"; touch /etc/devcli-after-exit')
        assert after.content.startswith("kept")
        assert "Read-only file system" in after.content  # the new shell is sandboxed too
        assert (tmpdir / "note").read_text() == "kept\n"
    finally:
        tool.close()
        sandbox.close()
    assert not tmpdir.exists()


def test_processes_outside_are_invisible_and_cannot_be_signalled(bash: BashTool) -> None:
    listing = call(bash, "ps -e -o comm=").content.split("[The command")[0]
    assert set(listing.split()) == {"bwrap", "bash", "ps"}
    own = os.getpid()
    result = call(bash, f"kill -0 {own} && echo reachable || echo unreachable")
    assert "unreachable" in result.content


def test_root_cannot_make_the_system_writable_again(bash: BashTool) -> None:
    sentinel = Path("/etc/devcli-remount-test")
    try:
        result = call(bash, f"mount -o remount,rw / ; touch {sentinel}")
        assert "Read-only file system" in result.content
        assert not sentinel.exists()
    finally:
        with contextlib.suppress(OSError):
            sentinel.unlink()


def test_hard_timeout_of_a_shell_builtin_keeps_the_shell(bash: BashTool) -> None:
    # A loop inside bash itself has bash's own process group: it is interrupted, not killed.
    call(bash, "export KEPT=yes")
    looping = call(bash, "while :; do :; done", timeout=1)
    assert looping.is_error and "killed after 1 s" in looping.content
    assert call(bash, 'echo "[$KEPT]"').content.startswith("[yes]")


def test_closing_the_tool_ends_background_processes(bash: BashTool) -> None:
    marker = "1013.5"
    call(bash, f"sleep {marker} &")
    bash.close()
    deadline = time.monotonic() + 10
    wanted = f"sleep\x00{marker}\x00".encode()
    while time.monotonic() < deadline and any(
        _cmdline(pid) == wanted for pid in os.listdir("/proc") if pid.isdigit()
    ):
        time.sleep(0.1)
    assert not any(_cmdline(pid) == wanted for pid in os.listdir("/proc") if pid.isdigit())


def _cmdline(pid: str) -> bytes:
    try:
        return Path("/proc", pid, "cmdline").read_bytes()
    except OSError:
        return b""


def test_devices_and_proc_work(bash: BashTool) -> None:
    result = call(
        bash, "echo x > /dev/null && head -c 4 /dev/urandom | wc -c && cat /proc/self/comm"
    )
    assert result.content.splitlines()[:2] == ["4", "cat"]


def test_read_only_mode_leaves_only_the_temporary_folder(repo: Path) -> None:
    tool, sandbox = open_tool(repo, Settings(sandbox=SandboxMode.READ_ONLY))
    try:
        result = call(tool, 'touch in-repo; touch "$TMPDIR/scratch" && echo tmp-ok')
    finally:
        tool.close()
        sandbox.close()
    assert "Read-only file system" in result.content and "tmp-ok" in result.content
    assert not (repo / "in-repo").exists()


def test_network_off_leaves_only_a_loopback_of_its_own(repo: Path) -> None:
    tool, sandbox = open_tool(repo, Settings(network=NetworkMode.OFF))
    try:
        result = call(tool, "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '")
    finally:
        tool.close()
        sandbox.close()
    assert result.content.split("[The command")[0].split() == ["lo"]


def test_gates_treat_every_process_in_the_sandbox_as_the_sessions(
    bash: BashTool, repo: Path
) -> None:
    # Process ids are numbered inside the namespace: the host's numbering says nothing.
    started = call(bash, "sleep 300 & echo $!")
    inner_pid = started.content.split()[0]
    hook = GateHook(repo)
    args = BashArgs(command=f"kill {inner_pid}")
    call_event = ToolCall(id="a1b2c3d4e", name="execute_bash", arguments={})
    assert hook.before(call_event, bash, args) is None
    plain = BashTool(repo)
    try:
        refused = hook.before(call_event, plain, args)
    finally:
        plain.close()
    assert isinstance(refused, Refusal) and "did not start" in refused.reason
    assert call(bash, f"kill {inner_pid} && wait; echo $?").exit_code == 0
