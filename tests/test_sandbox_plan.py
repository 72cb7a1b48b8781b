"""The sandbox's decisions with the host's facts given: modes, bubblewrap's command line, the
writable folders, settings, the notice and the prompt line. Nothing here needs bubblewrap."""

import subprocess
from pathlib import Path

import pytest

from devcli.agent.system_prompt import build_system_prompt
from devcli.config import ConfigError, NetworkMode, SandboxMode, Settings, load_settings
from devcli.sandbox.bwrap import bwrap_prefix
from devcli.sandbox.host import BinarySource, HostFacts, candidates, probe
from devcli.sandbox.launch import Sandbox, SandboxUnavailable, start_sandbox
from devcli.sandbox.state import SandboxState, sandbox_state
from devcli.sandbox.writable import configured_caches, repository_folders
from devcli.tools.editor import EditorArgs, EditorTool
from devcli.tools.git_tool import GitArgs, GitTool

WORKING = HostFacts(
    system="Linux", kernel="6.8.0", binary="/usr/bin/bwrap", binary_source=BinarySource.SYSTEM
)
NO_NAMESPACES = HostFacts(
    system="Linux",
    kernel="6.8.0",
    binary="/usr/bin/bwrap",
    binary_source=BinarySource.SYSTEM,
    problem="/usr/bin/bwrap cannot create a sandbox here (No permissions to create new namespace)",
)
MACOS = HostFacts(system="Darwin", kernel="24.1.0", problem="the sandbox needs Linux")


def started(settings: Settings, workspace: Path, host: HostFacts = WORKING) -> Sandbox:
    sandbox = start_sandbox(settings, workspace, host=host)
    assert sandbox is not None
    return sandbox


def pairs(argv: list[str], flag: str) -> list[tuple[str, str]]:
    return [(argv[i + 1], argv[i + 2]) for i, word in enumerate(argv) if word == flag]


def test_command_line_binds_the_task_folders_writable_over_a_read_only_system(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    cache = home / ".cache" / "pip"
    argv = bwrap_prefix("/bwrap", [cache, home, tmp_path / "t"], tmp_path / "t", NetworkMode.ON)
    assert argv[0] == "/bwrap" and argv[-1] == "--"
    assert ("/", "/") in pairs(argv, "--ro-bind")
    binds = pairs(argv, "--bind")
    assert binds.index((str(home), str(home))) < binds.index((str(cache), str(cache)))
    assert argv.index("--ro-bind") < argv.index("--bind")  # writable binds go on top
    assert pairs(argv, "--setenv") == [("TMPDIR", str(tmp_path / "t"))]
    assert {"--unshare-pid", "--die-with-parent", "--dev", "--proc"} <= set(argv)
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    assert "--unshare-net" not in argv
    assert "--new-session" not in argv  # it would take bash's terminal and job control away


def test_network_off_adds_a_network_namespace(tmp_path: Path) -> None:
    argv = bwrap_prefix("/bwrap", [tmp_path], tmp_path, NetworkMode.OFF)
    assert "--unshare-net" in argv


def test_workspace_write_makes_a_private_temporary_folder_and_removes_it(git_repo: Path) -> None:
    sandbox = started(Settings(), git_repo)
    assert sandbox.folders is not None and sandbox.folders.temporary is not None
    temporary = sandbox.folders.temporary
    assert temporary.is_dir() and sandbox.isolates_processes
    argv = sandbox.wrap_shell(["bash", "-i"])
    assert argv[-2:] == ["bash", "-i"]
    assert (str(git_repo), str(git_repo)) in pairs(argv, "--bind")
    assert (str(temporary), str(temporary)) in pairs(argv, "--bind")
    sandbox.close()
    assert not temporary.exists()


def test_read_only_binds_nothing_but_the_temporary_folder(git_repo: Path) -> None:
    sandbox = started(Settings(sandbox=SandboxMode.READ_ONLY), git_repo)
    try:
        assert sandbox.folders is not None
        binds = pairs(sandbox.wrap_shell(["bash"]), "--bind")
        assert binds == [(str(sandbox.folders.temporary),) * 2]
        assert "read-only" in (sandbox.write_refusal(str(git_repo / "a.py")) or "")
    finally:
        sandbox.close()


def test_linked_worktree_also_gets_the_main_repositorys_git_folder(git_repo: Path) -> None:
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "x"], cwd=git_repo, check=True)
    worktree = git_repo.parent / "wt"
    subprocess.run(["git", "worktree", "add", "-q", str(worktree)], cwd=git_repo, check=True)
    linked = repository_folders(worktree / ".")
    assert linked.top == worktree.resolve()
    assert (git_repo / ".git").resolve() in linked.outside_top()
    main = repository_folders(git_repo)
    assert main.top == git_repo.resolve() and main.outside_top() == []
    assert main.git_folders == [(git_repo / ".git").resolve()]


def test_a_folder_outside_git_is_its_own_repository(tmp_path: Path) -> None:
    folders = repository_folders(tmp_path)
    assert folders.top == tmp_path.resolve() and folders.git_folders == []


def test_configured_caches_expand_home_and_skip_missing_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".npm").mkdir()
    assert configured_caches(["~/.npm", "~/.cache/uv"]) == [(tmp_path / ".npm").resolve()]
    with pytest.raises(ConfigError, match="not an absolute path"):
        configured_caches(["relative/cache"])


def test_where_bubblewrap_cannot_run_one_notice_and_no_sandbox(tmp_path: Path) -> None:
    for host in (NO_NAMESPACES, MACOS):
        notices: list[str] = []
        assert start_sandbox(Settings(), tmp_path, notices.append, host) is None
        assert len(notices) == 1 and "without a sandbox" in notices[0]
        assert host.problem is not None and host.problem in notices[0]


def test_required_refuses_to_start_without_the_sandbox(tmp_path: Path) -> None:
    settings = Settings(sandbox=SandboxMode.REQUIRED)
    with pytest.raises(SandboxUnavailable, match="No permissions to create new namespace"):
        start_sandbox(settings, tmp_path, host=NO_NAMESPACES)
    sandbox = started(settings, tmp_path)
    assert sandbox.state.active
    sandbox.close()


def test_read_only_without_bubblewrap_still_keeps_the_editor_from_writing(
    tmp_path: Path,
) -> None:
    sandbox = started(Settings(sandbox=SandboxMode.READ_ONLY), tmp_path, NO_NAMESPACES)
    assert not sandbox.state.active and not sandbox.isolates_processes
    assert sandbox.wrap_shell(["bash"]) == ["bash"]
    editor = EditorTool(tmp_path, sandbox=sandbox)
    args = EditorArgs(command="create", path=str(tmp_path / "new.txt"), file_text="x")
    result = editor.execute(args)
    assert result.is_error and "read-only" in result.content
    assert not (tmp_path / "new.txt").exists()
    assert "read-only" in sandbox.prompt_line()


def test_off_is_no_sandbox_and_says_network_off_cannot_hold(tmp_path: Path) -> None:
    notices: list[str] = []
    settings = Settings(sandbox=SandboxMode.OFF, network=NetworkMode.OFF)
    assert start_sandbox(settings, tmp_path, notices.append, WORKING) is None
    assert notices == ["network off needs the sandbox, which is off: the network stays on"]


def test_editor_writes_only_inside_the_writable_folders(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link").symlink_to(tmp_path)
    sandbox = started(Settings(), repo)
    editor = EditorTool(repo, sandbox=sandbox)
    try:
        for path in (tmp_path / "outside.txt", repo / "link" / "through-link.txt"):
            result = editor.execute(EditorArgs(command="create", path=str(path), file_text="x"))
            assert result.is_error and "outside the repository" in result.content
        assert not (tmp_path / "outside.txt").exists()
        assert not (tmp_path / "through-link.txt").exists()
        inside = editor.execute(
            EditorArgs(command="create", path=str(repo / "in.txt"), file_text="x")
        )
        assert not inside.is_error and (repo / "in.txt").read_text() == "x"
        assert sandbox.folders is not None and sandbox.folders.temporary is not None
        scratch = sandbox.folders.temporary / "note.txt"
        assert not editor.execute(
            EditorArgs(command="create", path=str(scratch), file_text="x")
        ).is_error
        view = editor.execute(EditorArgs(command="view", path=str(tmp_path)))
        assert not view.is_error  # reading stays allowed everywhere
    finally:
        sandbox.close()


def test_git_tool_refuses_commits_and_branches_in_read_only_mode(git_repo: Path) -> None:
    sandbox = started(Settings(sandbox=SandboxMode.READ_ONLY), git_repo)
    tool = GitTool(git_repo, allow_commit=True, sandbox=sandbox)
    try:
        (git_repo / "a.txt").write_text("a\n")
        commit = tool.execute(GitArgs(operation="commit", message="Add a"))
        branch = tool.execute(GitArgs(operation="branch", name="topic"))
        status = tool.execute(GitArgs(operation="status"))
    finally:
        sandbox.close()
    assert commit.is_error and "read-only" in commit.content
    assert branch.is_error and "read-only" in branch.content
    assert not status.is_error and "a.txt" in status.content
    log = subprocess.run(["git", "log"], cwd=git_repo, capture_output=True, text=True)
    assert log.returncode != 0  # still no commit at all


def test_prompt_line_says_what_is_writable_and_whether_the_network_is_on(
    git_repo: Path,
) -> None:
    for network in NetworkMode:
        sandbox = started(Settings(network=network), git_repo)
        try:
            line = sandbox.prompt_line()
            assert "repository" in line and "$TMPDIR" in line
            assert line.endswith(f"network access is {network}.")
            prompt = build_system_prompt(git_repo, sandbox=line)
            assert f"* {line}\n</ENVIRONMENT>" in prompt
            assert line in build_system_prompt(git_repo, compact=True, sandbox=line)
        finally:
            sandbox.close()
    assert "$sandbox" not in build_system_prompt(git_repo)
    # Two sessions get the same sentence: nothing in it changes from one to the next.
    first, second = started(Settings(), git_repo), started(Settings(), git_repo)
    assert first.prompt_line() == second.prompt_line()
    first.close()
    second.close()


def test_state_is_a_model_for_reports(git_repo: Path) -> None:
    settings = Settings(network=NetworkMode.OFF, sandbox_writable=[])
    state = sandbox_state(settings, git_repo, WORKING)
    assert isinstance(state, SandboxState)
    assert state.active and state.network is NetworkMode.OFF
    assert state.writable == [str(git_repo.resolve())]
    assert state.binary_source is BinarySource.SYSTEM
    blocked = sandbox_state(Settings(), git_repo, NO_NAMESPACES)
    assert not blocked.active and blocked.reason == NO_NAMESPACES.problem
    assert SandboxState.model_validate_json(blocked.model_dump_json()) == blocked


def test_settings_come_from_files_and_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    user_file = tmp_path / "config" / "devcli" / "config.toml"
    user_file.parent.mkdir(parents=True)
    user_file.write_text('sandbox_writable = ["~/.cache/pip"]\n')
    (tmp_path / ".devcli.toml").write_text('sandbox = "read-only"\n')
    settings = load_settings(tmp_path, environ={"DEVCLI_NETWORK": "off"})
    assert settings.sandbox is SandboxMode.READ_ONLY and settings.network is NetworkMode.OFF
    assert settings.sandbox_writable == ["~/.cache/pip"]
    listed = load_settings(tmp_path, environ={"DEVCLI_SANDBOX_WRITABLE": "/a, /b"})
    assert listed.sandbox_writable == ["/a", "/b"]
    with pytest.raises(ConfigError, match="setting `sandbox`"):
        load_settings(tmp_path, {"sandbox": "sometimes"})
    with pytest.raises(ConfigError, match="setting `network`"):
        load_settings(tmp_path, environ={"DEVCLI_NETWORK": "maybe"})


@pytest.mark.parametrize(
    "line",
    [
        'sandbox = "off"',
        'sandbox = "workspace-write"',
        'network = "on"',
        'sandbox_writable = ["/"]',
        'sandbox_binary = "./not-really-bwrap"',
    ],
)
def test_the_repositorys_own_file_cannot_loosen_the_sandbox(tmp_path: Path, line: str) -> None:
    # Commands in the sandbox can write this file: it must not switch the next session off.
    (tmp_path / ".devcli.toml").write_text(line + "\n")
    with pytest.raises(ConfigError, match="repository's own file"):
        load_settings(tmp_path, environ={})


def test_a_configured_binary_is_the_only_candidate_and_a_missing_one_is_reported() -> None:
    assert candidates("/nowhere/bwrap") == [("/nowhere/bwrap", BinarySource.SETTING)]
    assert probe("/nowhere/bwrap", NetworkMode.ON) == "/nowhere/bwrap does not exist"


def test_a_binary_that_fails_its_trial_run_is_reported_with_its_message(tmp_path: Path) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    problem = probe(str(fake), NetworkMode.ON)
    assert (
        problem
        == f"{fake} cannot create a sandbox here (bwrap: No permissions to create new namespace)"
    )
