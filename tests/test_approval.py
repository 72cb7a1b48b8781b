"""Approval modes with the real loop, real tools and replayed turns; the person is scripted."""

from pathlib import Path

import pytest

from devcli.agent.assembly import build_hooks, build_toolbox, default_mode
from devcli.agent.loop import Agent, Mode
from devcli.config import ApprovalMode, SandboxMode, Settings
from devcli.events import AssistantTurn, Observation
from devcli.llm.formats.call_text import make_tool_call
from devcli.llm.replay import ReplayBackend
from devcli.safety.approval import Answer, ApprovalHook, ApprovalRequest, Decision
from devcli.shell_syntax.scopes import command_scope
from devcli.tools.base import ConsentKind
from devcli.tools.bash import BashTool


class ScriptedPerson:
    """Answers approval questions from a list and remembers what it was asked."""

    def __init__(self, *answers: Decision) -> None:
        self.answers = list(answers)
        self.asked: list[ApprovalRequest] = []
        self.confirmed: list[str] = []

    def decide(self, request: ApprovalRequest) -> Decision:
        self.asked.append(request)
        return self.answers.pop(0)

    def confirm(self, question: str, detail: str = "") -> bool:
        self.confirmed.append(question)
        return True


def bash_turn(command: str) -> AssistantTurn:
    return AssistantTurn(tool_calls=(make_tool_call("execute_bash", {"command": command}),))


def create_turn(path: Path, text: str = "x\n") -> AssistantTurn:
    arguments = {"command": "create", "path": str(path), "file_text": text}
    return AssistantTurn(tool_calls=(make_tool_call("str_replace_editor", arguments),))


def run_turns(
    workspace: Path, turns: list[AssistantTurn], mode: ApprovalMode, person: ScriptedPerson | None
) -> list[Observation]:
    settings = Settings(approval=mode.value, sandbox=SandboxMode.OFF)  # the approvals alone
    toolbox = build_toolbox(settings, workspace)
    hooks = build_hooks(settings, workspace, Mode.INTERACTIVE, person)
    agent = Agent(
        backend=ReplayBackend([*turns, AssistantTurn(content="over")]),
        toolbox=toolbox,
        system_prompt="test",
        mode=Mode.INTERACTIVE,
        hooks=hooks,
    )
    try:
        agent.run("go")
    finally:
        toolbox.close()
    return [e for e in agent.events if isinstance(e, Observation)]


@pytest.mark.parametrize(
    ("command", "scope"),
    [
        ("pytest -x tests", "pytest"),
        ("git status --short", "git status"),
        ("FOO=1 make test", "make test"),
        ("python -m pytest -q", "python -m pytest"),
        ("echo hello world", "echo"),
        ("git --no-pager log", "git"),
        ("ls", "ls"),
        ("echo 'unbalanced", "echo"),
    ],
)
def test_always_covers_the_program_and_its_subcommand(command: str, scope: str) -> None:
    assert command_scope(command) == scope


def test_default_mode_is_ask_in_the_repl_and_auto_for_run() -> None:
    assert default_mode(Settings(), Mode.INTERACTIVE) is ApprovalMode.ASK
    assert default_mode(Settings(), Mode.HEADLESS) is ApprovalMode.AUTO
    assert default_mode(Settings(approval="auto-edit"), Mode.HEADLESS) is ApprovalMode.AUTO_EDIT


def test_ask_mode_refusal_reaches_the_model_with_the_reason(tmp_path: Path) -> None:
    target = tmp_path / "made.txt"
    person = ScriptedPerson(Decision(answer=Answer.NO, reason="not in this folder"))
    observations = run_turns(tmp_path, [bash_turn(f"touch {target}")], ApprovalMode.ASK, person)
    assert not target.exists()
    assert observations[0].is_error
    assert "did not approve this command" in observations[0].content
    assert "not in this folder" in observations[0].content
    assert person.asked[0].kind is ConsentKind.COMMAND


def test_ask_mode_yes_runs_the_command(tmp_path: Path) -> None:
    person = ScriptedPerson(Decision(answer=Answer.YES))
    observations = run_turns(tmp_path, [bash_turn("echo approved-run")], ApprovalMode.ASK, person)
    assert "approved-run" in observations[0].content
    assert not observations[0].is_error


def test_always_stops_asking_for_that_scope_only(tmp_path: Path) -> None:
    person = ScriptedPerson(Decision(answer=Answer.ALWAYS), Decision(answer=Answer.YES))
    turns = [bash_turn("echo one"), bash_turn("echo two"), bash_turn("printf three")]
    observations = run_turns(tmp_path, turns, ApprovalMode.ASK, person)
    assert [o.content.splitlines()[0] for o in observations] == ["one", "two", "three"]
    assert [r.scope_label for r in person.asked] == ["`echo` commands", "`printf` commands"]


def test_auto_edit_runs_edits_inside_and_asks_for_commands_and_outside(tmp_path: Path) -> None:
    workspace = tmp_path / "repo"
    workspace.mkdir()
    outside = tmp_path / "outside.txt"
    person = ScriptedPerson(Decision(answer=Answer.NO), Decision(answer=Answer.NO))
    turns = [create_turn(workspace / "inside.txt"), create_turn(outside), bash_turn("echo hi")]
    observations = run_turns(workspace, turns, ApprovalMode.AUTO_EDIT, person)
    assert (workspace / "inside.txt").exists()
    assert not outside.exists()
    assert [r.kind for r in person.asked] == [ConsentKind.EDIT, ConsentKind.COMMAND]
    assert person.asked[0].scope_label == "edits outside the repository"
    assert not observations[0].is_error and observations[2].is_error


def test_auto_mode_never_asks(tmp_path: Path) -> None:
    person = ScriptedPerson()
    turns = [bash_turn("echo free"), create_turn(tmp_path / "f.txt")]
    observations = run_turns(tmp_path, turns, ApprovalMode.AUTO, person)
    assert person.asked == []
    assert not any(o.is_error for o in observations)


def test_views_and_thoughts_never_ask(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("content\n")
    path = str(tmp_path / "a.txt")
    view = make_tool_call("str_replace_editor", {"command": "view", "path": path})
    think = make_tool_call("think", {"thought": "hmm"})
    person = ScriptedPerson()
    observations = run_turns(
        tmp_path, [AssistantTurn(tool_calls=(view, think))], ApprovalMode.ASK, person
    )
    assert person.asked == []
    assert "content" in observations[0].content


def test_without_a_person_ask_mode_refuses_and_says_why(tmp_path: Path) -> None:
    observations = run_turns(tmp_path, [bash_turn("echo never")], ApprovalMode.ASK, None)
    assert observations[0].is_error
    assert "approval mode `ask`" in observations[0].content
    assert "never" not in observations[0].content.replace("echo never", "")


def test_mode_can_change_during_a_session(tmp_path: Path) -> None:
    hook = ApprovalHook(ApprovalMode.ASK, tmp_path, ScriptedPerson())
    call = make_tool_call("execute_bash", {"command": "ls"})
    tool = BashTool(tmp_path)
    args = tool.parse_arguments(call.arguments)
    assert hook.request_for(call, tool, args) is not None
    hook.mode = ApprovalMode.AUTO
    assert hook.request_for(call, tool, args) is None
