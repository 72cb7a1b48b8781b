"""The REPL driven through prompt-toolkit pipe input: real session, real tools, replayed turns."""

import _thread
import io
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from devcli.commands.repl import InteractiveSession
from devcli.config import ApprovalMode, Settings
from devcli.events import (
    AssistantTurn,
    Condensation,
    Observation,
    UserMessage,
    read_session_file,
)
from devcli.llm.formats.call_text import make_tool_call
from devcli.llm.replay import ReplayBackend
from devcli.ui.prompt_input import ReplCompleter, ReplInput, attach_mentions, history_path, run_repl
from devcli.ui.slash_commands import is_slash_command, suggestion

ENTER = "\r"
ALT_ENTER = "\x1b\r"
UP = "\x1b[A"
CTRL_C = "\x03"
CTRL_D = "\x04"
CTRL_R = "\x12"
AUTO = Settings(approval="auto")


class Run:
    def __init__(self, session: InteractiveSession, output: str) -> None:
        self.session = session
        self.output = output

    def user_messages(self) -> list[str]:
        return [
            e.content
            for e in self.session.agent.events
            if isinstance(e, UserMessage) and not e.synthetic
        ]

    def observations(self) -> list[Observation]:
        return [e for e in self.session.agent.events if isinstance(e, Observation)]


def drive(
    workspace: Path,
    keys: str,
    turns: list[AssistantTurn] | None = None,
    history: History | None = None,
    settings: Settings | None = None,
) -> Run:
    """Type `keys` into a fresh REPL; the input ends after them (as Ctrl-D would)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=400, force_terminal=False, no_color=True)
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        pipe.close()  # the REPL sees the end of input after the keys
        session = InteractiveSession(
            settings or Settings(),
            workspace,
            ReplayBackend(turns or [AssistantTurn(content="fine")]),
            console,
            input=pipe,
            output=DummyOutput(),
        )
        reader = ReplInput(
            workspace,
            history or InMemoryHistory(),
            session.status_bar,
            input=pipe,
            output=DummyOutput(),
        )
        try:
            run_repl(session, reader)
        finally:
            session.close()
    return Run(session, buffer.getvalue())


def bash_turn(command: str, content: str = "") -> AssistantTurn:
    return AssistantTurn(
        content=content, tool_calls=(make_tool_call("execute_bash", {"command": command}),)
    )


def test_enter_sends_and_alt_enter_adds_a_line(tmp_path: Path) -> None:
    run = drive(tmp_path, "first line" + ALT_ENTER + "second line" + ENTER)
    assert run.user_messages() == ["first line\nsecond line"]
    assert "fine" in run.output


def test_a_pasted_block_stays_one_message(tmp_path: Path) -> None:
    run = drive(tmp_path, "\x1b[200~line one\nline two\nline three\x1b[201~" + ENTER)
    assert run.user_messages() == ["line one\nline two\nline three"]


def test_history_persists_between_sessions_and_up_recalls_it(tmp_path: Path) -> None:
    path = tmp_path / "history"
    drive(tmp_path, "/status" + ENTER, history=FileHistory(str(path)))
    assert "/status" in path.read_text()
    again = drive(tmp_path, UP + ENTER, history=FileHistory(str(path)))
    assert "session file" in again.output  # /status ran again from the history


def test_ctrl_r_searches_the_history(tmp_path: Path) -> None:
    path = tmp_path / "history"
    drive(tmp_path, "/approval auto" + ENTER + "/help" + ENTER, history=FileHistory(str(path)))
    run = drive(tmp_path, CTRL_R + "appro" + ENTER + ENTER, history=FileHistory(str(path)))
    assert run.session.approval.mode is ApprovalMode.AUTO


def test_history_file_lives_in_the_user_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert history_path() == tmp_path / "state" / "devcli" / "history"


def test_slash_commands_complete_with_their_summaries(tmp_path: Path) -> None:
    completer = ReplCompleter(tmp_path)
    found = list(completer.get_completions(Document("/st"), CompleteEvent()))
    assert [c.text for c in found] == ["/status"]
    assert "context" in str(found[0].display_meta)
    modes = completer.get_completions(Document("/approval a"), CompleteEvent())
    assert [c.text for c in modes] == ["ask", "auto-edit", "auto"]


def test_at_paths_complete_from_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("")
    (tmp_path / "src" / "model.py").write_text("")
    (tmp_path / ".hidden").write_text("")
    completer = ReplCompleter(tmp_path)

    def texts(line: str) -> list[str]:
        return [c.text for c in completer.get_completions(Document(line), CompleteEvent())]

    assert texts("look at @sr") == ["@src/"]
    assert texts("look at @src/ma") == ["@src/main.py"]
    assert texts("look at @src/m") == ["@src/main.py", "@src/model.py"]
    assert texts("@") == ["@src/"]  # hidden entries only when asked for
    assert texts("@.h") == ["@.hidden"]
    assert texts("mail me@sr") == []  # not a mention


def test_mentioned_files_travel_with_the_message(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    run = drive(tmp_path, "why is @calc.py wrong, and what does @decorator do?" + ENTER)
    message = run.user_messages()[0]
    assert message.startswith("why is @calc.py wrong")
    assert f'<file path="{tmp_path / "calc.py"}">' in message
    assert "return a - b" in message
    assert message.count("<file ") == 1
    assert "Attached: calc.py" in run.output


def test_binary_mentions_are_refused_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02")
    attached = attach_mentions("see @blob.bin.", tmp_path)
    assert attached.message == "see @blob.bin."
    assert attached.problems and "binary" in attached.problems[0]


def test_unknown_command_gets_the_closest_suggestion(tmp_path: Path) -> None:
    run = drive(tmp_path, "/stauts" + ENTER + "/zzzz" + ENTER)
    assert "Unknown command /stauts. Did you mean /status?" in run.output
    assert "Unknown command /zzzz. Type /help for the list." in run.output
    assert suggestion("hepl") == "help" and suggestion("quti") == "exit"


def test_paths_are_messages_not_commands() -> None:
    assert is_slash_command("/status")
    assert is_slash_command("/model devstral")
    assert not is_slash_command("/etc/hosts is broken")
    assert not is_slash_command("/")


def test_status_shows_model_context_tokens_and_session_file(tmp_path: Path) -> None:
    run = drive(tmp_path, "hello" + ENTER + "/status" + ENTER)
    for label in ("model", "approval", "context", "tokens", "session file", "workspace"):
        assert label in run.output
    assert "replay (replay backend)" in run.output
    assert str(run.session.session_file) in run.output
    assert "in 1 steps" in run.output


def test_help_lists_every_command(tmp_path: Path) -> None:
    run = drive(tmp_path, "/help" + ENTER)
    for name in (
        "/help",
        "/model",
        "/approval",
        "/diff",
        "/undo",
        "/compact",
        "/clear",
        "/status",
        "/exit",
    ):
        assert name in run.output


def test_exit_ends_the_session_and_keeps_the_rest_unread(tmp_path: Path) -> None:
    run = drive(tmp_path, "/exit" + ENTER + "never sent" + ENTER)
    assert run.user_messages() == []


def test_approval_command_changes_the_mode(tmp_path: Path) -> None:
    run = drive(tmp_path, "/approval auto-edit" + ENTER + "/approval sometimes" + ENTER)
    assert run.session.approval.mode is ApprovalMode.AUTO_EDIT
    assert "unknown approval mode 'sometimes'" in run.output


def test_approving_a_command_runs_it(tmp_path: Path) -> None:
    turns = [bash_turn("echo ran-after-yes"), AssistantTurn(content="done")]
    run = drive(tmp_path, "do it" + ENTER + "y", turns)
    assert "→ yes" in run.output
    assert "ran-after-yes" in run.observations()[0].content


def test_refusing_passes_the_reason_to_the_model(tmp_path: Path) -> None:
    target = tmp_path / "gone.txt"
    target.write_text("keep me")
    turns = [bash_turn(f"rm {target}"), AssistantTurn(content="understood")]
    run = drive(tmp_path, "clean up" + ENTER + "n" + "I still need that file" + ENTER, turns)
    assert target.exists()
    observation = run.observations()[0]
    assert observation.is_error and "I still need that file" in observation.content


def test_always_approves_the_rest_of_the_session(tmp_path: Path) -> None:
    turns = [
        bash_turn("echo one"),
        bash_turn("echo two"),
        AssistantTurn(content="first done"),
        bash_turn("echo three"),
        AssistantTurn(content="second done"),
    ]
    run = drive(tmp_path, "go" + ENTER + "a" + "again" + ENTER, turns)
    assert [o.content.splitlines()[0] for o in run.observations()] == ["one", "two", "three"]
    assert run.output.count("→ always") == 1


def test_clear_starts_a_new_conversation_and_session_file(tmp_path: Path) -> None:
    turns = [AssistantTurn(content="first"), AssistantTurn(content="second")]
    run = drive(tmp_path, "one" + ENTER + "/clear" + ENTER + "two" + ENTER, turns)
    assert run.user_messages() == ["two"]
    files = sorted((p for p in run.session.session_file.parent.iterdir()), key=lambda p: p.name)
    assert len(files) == 2
    contents = [[json.loads(line)["type"] for line in f.read_text().splitlines()] for f in files]
    assert all(types[0] == "session" for types in contents)
    assert "Started a new conversation" in run.output


def test_model_without_a_name_shows_it_and_a_bad_switch_explains(tmp_path: Path) -> None:
    run = drive(tmp_path, "/model" + ENTER + "/model /no/such/model.gguf" + ENTER)
    assert "Model: replay (replay)" in run.output
    assert "/model: " in run.output and "Traceback" not in run.output
    assert run.session.backend.model_name == "replay"


def test_compact_condenses_the_conversation(tmp_path: Path) -> None:
    turns = [AssistantTurn(content="first answer"), AssistantTurn(content="what was done")]
    early = drive(tmp_path, "/compact" + ENTER)
    assert "/compact: there is no conversation to condense yet" in early.output
    run = drive(tmp_path, "hello" + ENTER + "/compact keep the plan" + ENTER, turns)
    condensed = [e for e in run.session.agent.events if isinstance(e, Condensation)]
    assert len(condensed) == 1
    assert "condensed the earlier conversation" in run.output


def edit_turn(path: Path, old: str, new: str) -> AssistantTurn:
    arguments = {"command": "str_replace", "path": str(path), "old_str": old, "new_str": new}
    return AssistantTurn(tool_calls=(make_tool_call("str_replace_editor", arguments),))


def test_diff_shows_what_the_session_changed(git_repo: Path) -> None:
    source = git_repo / "calc.py"
    source.write_text("def add(a, b):\n    return a - b\n")
    subprocess.run(["git", "-C", str(git_repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(git_repo), "commit", "-qm", "start"], check=True)
    turns = [edit_turn(source, "a - b", "a + b"), AssistantTurn(content="fixed")]
    quiet = drive(git_repo, "/diff" + ENTER)
    assert "No changes since the session began." in quiet.output
    run = drive(git_repo, "fix it" + ENTER + "/diff" + ENTER, turns, settings=AUTO)
    after_diff = run.output[run.output.index("fixed") :]
    assert "-    return a - b" in after_diff and "+    return a + b" in after_diff


def test_undo_restores_the_files_and_tells_the_model(git_repo: Path) -> None:
    source = git_repo / "calc.py"
    source.write_text("def add(a, b):\n    return a - b\n")
    turns = [
        edit_turn(source, "a - b", "a * b"),
        AssistantTurn(content="changed"),
        AssistantTurn(content="noted"),
    ]
    keys = "change it" + ENTER + "/undo" + ENTER + "y" + "and now?" + ENTER
    run = drive(git_repo, keys, turns, settings=AUTO)
    assert source.read_text() == "def add(a, b):\n    return a - b\n"
    assert "Restored 1 of 1 files." in run.output
    assert run.user_messages()[1].startswith("(I undid your changes to calc.py")
    assert run.user_messages()[1].endswith("and now?")
    nothing = drive(git_repo, "/undo" + ENTER)
    assert "Nothing to undo" in nothing.output


def test_ctrl_c_twice_at_an_empty_prompt_leaves(tmp_path: Path) -> None:
    run = drive(tmp_path, CTRL_C + CTRL_C + "not read" + ENTER)
    assert "Press Ctrl-C again or Ctrl-D to leave." in run.output
    assert run.user_messages() == []


def test_ctrl_c_with_text_only_clears_the_line(tmp_path: Path) -> None:
    run = drive(tmp_path, "half typed" + CTRL_C + "sent" + ENTER + CTRL_D)
    assert run.user_messages() == ["sent"]


def test_ctrl_d_leaves(tmp_path: Path) -> None:
    run = drive(tmp_path, CTRL_D + "not read" + ENTER)
    assert run.user_messages() == []


def descends_from_this_test(pid: int) -> bool:
    while pid > 1:
        if pid == os.getpid():
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the parent's id
    return False


def test_ctrl_c_during_a_command_stops_it_and_the_session_goes_on(tmp_path: Path) -> None:
    """Interrupt the main thread while `sleep` runs, as the terminal's Ctrl-C would."""
    turns = [bash_turn("sleep 61.7"), bash_turn("echo still-alive"), AssistantTurn(content="ok")]
    stop = threading.Event()

    def interrupt_when_sleeping() -> None:
        while not stop.is_set():
            for process in Path("/proc").iterdir():
                try:
                    cmdline = (process / "cmdline").read_bytes()
                except OSError:
                    continue
                if cmdline == b"sleep\x0061.7\x00" and descends_from_this_test(int(process.name)):
                    _thread.interrupt_main()
                    return
            time.sleep(0.05)

    watcher = threading.Thread(target=interrupt_when_sleeping, daemon=True)
    watcher.start()
    try:
        run = drive(tmp_path, "sleep" + ENTER + "go on" + ENTER, turns, settings=AUTO)
    finally:
        stop.set()
    first, second = run.observations()
    assert "Interrupted by the user" in first.content
    assert "still-alive" in second.content  # the shell took a new command: sleep was stopped
    assert run.user_messages() == ["sleep", "go on"]
    assert "Interrupted." in run.output


def test_the_session_file_records_the_conversation(tmp_path: Path) -> None:
    run = drive(tmp_path, "hi" + ENTER, [AssistantTurn(content="hello there")])
    events = read_session_file(run.session.session_file)
    assert [e.type for e in events] == ["session", "user", "assistant"]


def test_resume_carries_on_with_a_saved_session(tmp_path: Path) -> None:
    first = drive(
        tmp_path, "remember the word kiwi" + ENTER, [AssistantTurn(content="noted")], settings=AUTO
    )
    old_id = first.session.session_id
    turns = [AssistantTurn(content="first reply"), AssistantTurn(content="back again")]
    run = drive(
        tmp_path,
        "new chat" + ENTER + f"/resume {old_id[:6]}" + ENTER + "and now?" + ENTER,
        turns,
        settings=AUTO,
    )
    assert f"Resumed session {old_id}" in run.output
    assert run.session.session_id == old_id
    assert run.user_messages() == ["remember the word kiwi", "and now?"]
    saved = [
        e.content for e in read_session_file(run.session.session_file) if isinstance(e, UserMessage)
    ]
    assert saved == ["remember the word kiwi", "and now?"]
    missing = drive(tmp_path, "/resume nothing-like-it" + ENTER)
    assert "/resume: no session with an id starting 'nothing-like-it'" in missing.output
