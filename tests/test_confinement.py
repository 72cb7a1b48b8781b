"""Confinement to the repository, git's data and credential files; gates allowed once in `ask`.

The loop, tools and hooks are the real ones, driven by replayed turns; the person answering
questions is scripted.
"""

import os
from pathlib import Path

import pytest

from devcli.agent.assembly import build_hooks, build_toolbox
from devcli.agent.loop import Agent, Mode
from devcli.config import SandboxMode, Settings
from devcli.events import AssistantTurn, Observation
from devcli.llm.formats.call_text import make_tool_call
from devcli.llm.replay import ReplayBackend
from devcli.safety.approval import Answer, ApprovalRequest, Decision
from devcli.safety.confinement import ConcernKind, editor_concerns, is_credential_file
from tests.support.git_histories import commit_files, new_repo


class ScriptedPerson:
    """Approves every ordinary request; answers yes/no questions from a list."""

    def __init__(self, *confirmations: bool) -> None:
        self.confirmations = list(confirmations)
        self.questions: list[str] = []

    def decide(self, request: ApprovalRequest) -> Decision:
        return Decision(answer=Answer.YES)

    def confirm(self, question: str, detail: str = "") -> bool:
        self.questions.append(f"{question} {detail}")
        return self.confirmations.pop(0)


def run_calls(
    workspace: Path,
    calls: list[tuple[str, dict[str, object]]],
    person: ScriptedPerson | None = None,
    settings: Settings | None = None,
) -> list[Observation]:
    # The hooks on their own: with the sandbox, writes outside the repository fail anyway
    # (tests/test_sandbox_replay.py).
    settings = settings or Settings(approval="ask" if person else None, sandbox=SandboxMode.OFF)
    mode = Mode.INTERACTIVE if person else Mode.HEADLESS
    toolbox = build_toolbox(settings, workspace)
    turns = [AssistantTurn(tool_calls=(make_tool_call(name, args),)) for name, args in calls]
    agent = Agent(
        backend=ReplayBackend([*turns, AssistantTurn(content="over")]),
        toolbox=toolbox,
        system_prompt="test",
        mode=Mode.INTERACTIVE,
        hooks=build_hooks(settings, workspace, mode, person, session_id="conf"),
    )
    try:
        agent.run("go")
    finally:
        toolbox.close()
    return [e for e in agent.events if isinstance(e, Observation)]


def create(path: Path, text: str = "x\n") -> tuple[str, dict[str, object]]:
    return "str_replace_editor", {"command": "create", "path": str(path), "file_text": text}


def view(path: Path) -> tuple[str, dict[str, object]]:
    return "str_replace_editor", {"command": "view", "path": str(path)}


def bash(command: str) -> tuple[str, dict[str, object]]:
    return "execute_bash", {"command": command}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = new_repo(tmp_path / "repo")
    commit_files(root, {"README.md": "# r\n", ".env.example": "KEY=\n"}, "Start")
    (root / ".env").write_text("KEY=hunter2hunter2\n")
    return root


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (".env", True),
        (".env.local", True),
        ("prod.env", True),
        ("id_rsa", True),
        ("id_ed25519", True),
        ("server.pem", True),
        ("tls.key", True),
        ("store.p12", True),
        ("config/secrets.yaml", True),
        (".aws/credentials", True),
        ("/home/u/.ssh/config", True),
        (".npmrc", True),
        (".netrc", True),
        ("client_secret_123.json", True),
        (".env.example", False),
        ("id_rsa.pub", False),
        ("README.md", False),
        ("environment.py", False),
        ("src/keyboard.py", False),
        ("docs/secrets.md", False),
    ],
)
def test_credential_file_names(name: str, expected: bool) -> None:
    assert is_credential_file(name) is expected


def test_editor_concerns(repo: Path, tmp_path: Path) -> None:
    os.symlink(tmp_path, repo / "escape")
    assert editor_concerns(str(repo / "README.md"), repo, writing=True) == []
    kinds = {
        "outside": editor_concerns(str(tmp_path / "x.txt"), repo, writing=True),
        "dotdot": editor_concerns(str(repo / ".." / "x.txt"), repo, writing=False),
        "symlink": editor_concerns(str(repo / "escape" / "x.txt"), repo, writing=True),
        "git": editor_concerns(str(repo / ".git" / "config"), repo, writing=False),
        "env": editor_concerns(str(repo / ".env"), repo, writing=False),
    }
    assert [c.kind for c in kinds["outside"]] == [ConcernKind.OUTSIDE]
    assert [c.kind for c in kinds["dotdot"]] == [ConcernKind.OUTSIDE]
    assert [c.kind for c in kinds["symlink"]] == [ConcernKind.OUTSIDE]
    assert "it leads to" in kinds["symlink"][0].message
    assert [c.kind for c in kinds["git"]] == [ConcernKind.GIT_DATA]
    assert [c.kind for c in kinds["env"]] == [ConcernKind.CREDENTIALS]


def test_headless_editor_refuses_outside_git_and_credentials(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    observations = run_calls(
        repo,
        [
            create(outside),
            view(repo / ".git" / "config"),
            view(repo / ".env"),
            create(repo / "inside.txt"),
        ],
    )
    assert [o.is_error for o in observations] == [True, True, True, False]
    assert not outside.exists()
    assert "outside the repository" in observations[0].content
    assert "git's own data" in observations[1].content
    assert "hunter2" not in observations[2].content and "credentials" in observations[2].content
    assert (repo / "inside.txt").read_text() == "x\n"


def test_headless_shell_refuses_commands_naming_credential_files(repo: Path) -> None:
    observations = run_calls(repo, [bash("cat .env"), bash("cat .env.example README.md")])
    assert observations[0].is_error and "hunter2" not in observations[0].content
    assert ".env" in observations[0].content
    assert not observations[1].is_error and "KEY=" in observations[1].content


def test_person_may_allow_an_outside_edit(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "allowed.txt"
    refused = tmp_path / "refused.txt"
    person = ScriptedPerson(True, False)
    observations = run_calls(repo, [create(outside), create(refused)], person)
    assert outside.exists() and not refused.exists()
    assert not observations[0].is_error and observations[1].is_error
    assert "outside the repository" in person.questions[0]


def test_ask_mode_lets_the_person_allow_a_gated_command_once(repo: Path, tmp_path: Path) -> None:
    sibling = tmp_path / "sibling"
    sibling.mkdir()
    (sibling / "f").write_text("f")
    person = ScriptedPerson(False, True)
    command = f"rm -rf {sibling}"
    observations = run_calls(repo, [bash(command), bash(command)], person)
    assert observations[0].is_error and "The user did not allow it" in observations[0].content
    assert "hard gate `recursive-delete`" in person.questions[0]
    assert not observations[1].is_error
    assert not sibling.exists()


def test_headless_gates_refuse_and_say_how_to_proceed(repo: Path, tmp_path: Path) -> None:
    sibling = tmp_path / "kept"
    sibling.mkdir()
    observations = run_calls(repo, [bash(f"cd {tmp_path} && rm -rf kept")])
    assert sibling.exists()
    assert observations[0].is_error
    assert "hard gate `recursive-delete`" in observations[0].content
    assert "ask the user" in observations[0].content


def test_skipping_gates_lets_the_command_run(repo: Path, tmp_path: Path) -> None:
    sibling = tmp_path / "gone"
    sibling.mkdir()
    settings = Settings(dangerously_skip_gates=True, sandbox=SandboxMode.OFF)
    observations = run_calls(repo, [bash(f"rm -rf {sibling}")], settings=settings)
    assert not observations[0].is_error
    assert not sibling.exists()


def test_gates_follow_the_shells_directory_between_calls(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "victim").mkdir()
    observations = run_calls(repo, [bash(f"cd {tmp_path}"), bash("rm -rf victim")])
    assert observations[1].is_error and "outside the repository" in observations[1].content
    assert (tmp_path / "victim").exists()
