"""`devcli replay` with the sandbox, as a user runs it: destructive commands with the gates
off cannot touch anything outside the task's folders, the same commands work inside them,
git and installing into a virtual environment work, `--network off` cuts the network, and a
missing bubblewrap gives one line (or exit 2 when the sandbox is required)."""

import base64
import hashlib
import http.server
import io
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devcli.events import Observation, read_session_file
from tests.support.cli import run_devcli, write_turns
from tests.support.sandbox import requires_sandbox


def bash(command: str, timeout: float | None = None) -> dict[str, object]:
    arguments: dict[str, object] = {"command": command}
    if timeout is not None:
        arguments["timeout"] = timeout
    return {"tool_calls": [{"name": "execute_bash", "arguments": arguments}]}


def create(path: Path, text: str) -> dict[str, object]:
    arguments = {"command": "create", "path": str(path), "file_text": text}
    return {"tool_calls": [{"name": "str_replace_editor", "arguments": arguments}]}


FINISH = {
    "tool_calls": [{"name": "finish", "arguments": {"message": "done", "task_completed": "true"}}]
}


def replay(
    repo: Path, home: Path, turns: list[dict[str, object]], *flags: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], list[Observation]]:
    """Replay `turns` in `repo` with HOME at `home`; the result and the shell's observations."""
    runs = len(list(repo.parent.glob("session-*.jsonl")))
    file = write_turns(repo.parent / f"turns-{runs}.jsonl", [*turns, FINISH])
    session = repo.parent / f"session-{runs}.jsonl"
    result = run_devcli(
        "replay",
        str(file),
        "--session-file",
        str(session),
        *flags,
        cwd=repo,
        env={"HOME": str(home), **env},
    )
    events = read_session_file(session) if session.exists() else []
    return result, [e for e in events if isinstance(e, Observation) and e.name == "execute_bash"]


class Place:
    """The same victims, laid out in a folder: a HOME subfolder, a folder, a file, a file a
    script deletes."""

    def __init__(self, base: Path) -> None:
        self.precious = base / "precious"
        self.folder = base / "folder"
        self.file = base / "file.txt"
        self.scripted = base / "scripted.txt"
        for folder in (self.precious, self.folder):
            folder.mkdir(parents=True)
            (folder / "sentinel").write_text("keep")
        self.file.write_text("keep")
        self.scripted.write_text("keep")

    def survivors(self) -> list[Path]:
        victims = [self.precious / "sentinel", self.folder / "sentinel", self.file, self.scripted]
        return [path for path in victims if path.exists()]

    def turns(self, script: Path, precious: str) -> list[dict[str, object]]:
        return [
            bash(f'rm -rf "{precious}"'),
            bash(f"python3 -c \"import shutil; shutil.rmtree('{self.folder}')\""),
            bash(f'perl -e \'unlink "{self.file}" or die "unlink: $!\\n"\''),
            create(script, f"#!/bin/sh\nrm -f {self.scripted}\n"),
            bash(f"sh {script}"),
        ]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@requires_sandbox
def test_destructive_commands_cannot_reach_outside_but_work_inside(
    git_repo: Path, home: Path, tmp_path: Path
) -> None:
    outside = Place(home)
    inside = Place(git_repo / "work")
    etc_sentinel = Path("/etc/devcli-test")
    turns = [
        *outside.turns(git_repo / "clean_outside.sh", "$HOME/precious"),
        bash(f"echo x > {etc_sentinel}"),
        *inside.turns(git_repo / "clean_inside.sh", "$PWD/work/precious"),
        bash(f"echo x > {git_repo}/devcli-test"),
    ]
    try:
        result, observations = replay(git_repo, home, turns, "--dangerously-skip-gates")
        assert not etc_sentinel.exists()
    finally:
        if etc_sentinel.exists():
            etc_sentinel.unlink()
    assert result.returncode == 0, result.stderr
    assert len(outside.survivors()) == 4  # every sentinel outside survives
    assert inside.survivors() == []  # the same commands did their work inside
    assert (git_repo / "devcli-test").read_text() == "x\n"
    # Outside: rm, python, perl, the script, /etc; each fails with the command's own error.
    assert [o.exit_code == 0 for o in observations] == [False] * 5 + [True] * 5
    for observation in observations[:5]:
        assert "Read-only file system" in observation.content, observation.content
    assert "devcli:" not in result.stderr  # no notice: the sandbox ran


@requires_sandbox
def test_git_add_and_commit_work_in_a_repository_and_in_a_linked_worktree(
    git_repo: Path, home: Path
) -> None:
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "start"], cwd=git_repo)
    worktree = git_repo.parent / "linked"
    subprocess.run(["git", "worktree", "add", "-q", "-b", "side", str(worktree)], cwd=git_repo)
    commit = "git add a.txt && git commit -q -m 'Add a' && git log --oneline -1"
    result, observations = replay(git_repo, home, [bash(f"echo a > a.txt && {commit}")])
    assert result.returncode == 0, result.stderr
    assert all(o.exit_code == 0 for o in observations), [o.content for o in observations]
    result, observations = replay(worktree, home, [bash(f"echo a > a.txt && {commit}")])
    assert result.returncode == 0, result.stderr
    assert all(o.exit_code == 0 for o in observations), [o.content for o in observations]
    for branch in ("main", "side"):
        log = subprocess.run(
            ["git", "log", "--format=%s", "-1", branch],
            cwd=git_repo,
            capture_output=True,
            text=True,
        )
        assert log.stdout.strip() == "Add a"


def local_wheel(folder: Path) -> Path:
    """A one-module wheel, written by hand so no build backend or index is needed."""
    name, version = "devcli_sandbox_demo", "1.0"
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": "ANSWER = 42\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = ""
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record += f"{path},sha256={digest.decode()},{len(text.encode())}\n"
    files[f"{info}/RECORD"] = record + f"{info}/RECORD,,\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    wheel.write_bytes(buffer.getvalue())
    return wheel


@requires_sandbox
def test_a_local_wheel_installs_into_a_virtual_environment_in_the_repository(
    git_repo: Path, home: Path, tmp_path: Path
) -> None:
    wheel = local_wheel(tmp_path)  # outside the repository: read-only is enough
    # The environment's own pip installs into it (ensurepip would only add ten seconds). The
    # tests' own interpreter is named: a `python3` found on PATH may be a shim that writes.
    python = sys.executable
    install = (
        f"{python} -m venv --without-pip .venv && {python} -m pip --python .venv/bin/python "
        f"install -q --no-index --disable-pip-version-check {wheel} && "
        ".venv/bin/python -c 'import devcli_sandbox_demo as d; print(\"answer\", d.ANSWER)'"
    )
    result, observations = replay(git_repo, home, [bash(install, timeout=600)])
    assert result.returncode == 0, result.stderr
    assert observations[0].exit_code == 0, observations[0].content
    assert "answer 42" in observations[0].content
    assert list((git_repo / ".venv").glob("lib/python*/site-packages/devcli_sandbox_demo.py"))


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello from the host")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def host_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@requires_sandbox
def test_network_off_cannot_reach_the_hosts_loopback_and_on_can(
    git_repo: Path, home: Path, host_server: int
) -> None:
    fetch = bash(
        'python3 -c "import urllib.request as r; '
        f"print(r.urlopen('http://127.0.0.1:{host_server}/', timeout=10).read().decode())\""
    )
    for flags, env in (((("--network", "off")), {}), ((), {"DEVCLI_NETWORK": "off"})):
        result, observations = replay(git_repo, home, [fetch], *flags, **env)
        assert result.returncode == 0, result.stderr
        assert observations[0].exit_code != 0
        assert "Connection refused" in observations[0].content
    result, observations = replay(git_repo, home, [fetch], "--network", "on")
    assert result.returncode == 0, result.stderr
    assert observations[0].exit_code == 0 and "hello from the host" in observations[0].content


def test_a_missing_bubblewrap_gives_one_line_and_an_unsandboxed_run(
    git_repo: Path, home: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "written-outside"
    missing = str(tmp_path / "no-such-bwrap")
    env = {"DEVCLI_SANDBOX_BINARY": missing}
    result, observations = replay(git_repo, home, [bash(f"touch {marker}")], **env)
    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if line.startswith("devcli:")]
    assert notices == [f"devcli: commands run without a sandbox: {missing} does not exist"]
    assert observations[0].exit_code == 0 and marker.exists()


def test_a_required_sandbox_that_cannot_run_exits_2_before_any_command(
    git_repo: Path, home: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "never-written"
    env = {"DEVCLI_SANDBOX_BINARY": str(tmp_path / "no-such-bwrap")}
    result, observations = replay(
        git_repo, home, [bash(f"touch {marker}")], "--sandbox", "required", **env
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"devcli: the sandbox is required but cannot run: {tmp_path}/no-such-bwrap does not exist"
    )
    assert observations == [] and not marker.exists()


def test_run_takes_the_flags_and_checks_them(git_repo: Path) -> None:
    result = run_devcli("run", "--sandbox", "sometimes", "task", cwd=git_repo)
    assert result.returncode == 2
    assert "setting `sandbox`" in result.stderr and "Traceback" not in result.stderr
    result = run_devcli("run", "--network", "maybe", "task", cwd=git_repo)
    assert result.returncode == 2 and "setting `network`" in result.stderr


@requires_sandbox
def test_commands_cannot_plant_what_devcli_runs_outside_the_sandbox(
    git_repo: Path, home: Path, tmp_path: Path
) -> None:
    # devcli's own git calls (checkpoints, the git tool) run outside the sandbox: git's config
    # and hooks stay read-only, and the repository's file cannot switch the next session off.
    marker = tmp_path / "ran-outside"
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "start"], cwd=git_repo)
    hook = git_repo / ".git" / "hooks" / "pre-commit"
    turns = [
        bash(f"git config core.fsmonitor 'touch {marker}; false'"),
        bash(f"printf '#!/bin/sh\\ntouch {marker}\\n' > {hook} && chmod +x {hook}"),
        # Swapping `.git` for a repository of the command's own is refused too.
        bash(f"mv .git .git-old && git init -q && git config core.fsmonitor 'touch {marker}'"),
        bash("printf 'sandbox = \"off\"\\n' > .devcli.toml && echo written"),
        create(git_repo / "b.txt", "b\n"),
        {"tool_calls": [{"name": "git", "arguments": {"operation": "status"}}]},
        {"tool_calls": [{"name": "git", "arguments": {"operation": "commit", "message": "Add b"}}]},
    ]
    result, observations = replay(git_repo, home, turns, DEVCLI_COMMIT="1")
    assert result.returncode == 0, result.stderr
    assert [o.exit_code == 0 for o in observations] == [False, False, False, True]
    assert "Read-only file system" in observations[1].content  # the hook
    assert not marker.exists() and not hook.exists()
    assert "[core]" in (git_repo / ".git" / "config").read_text()  # still git's own
    log = subprocess.run(["git", "log", "--format=%s", "-1"], cwd=git_repo, capture_output=True)
    assert log.stdout.decode().strip() == "Add b"
    again, _ = replay(git_repo, home, [bash("true")])
    assert again.returncode == 2 and "repository's own file" in again.stderr
