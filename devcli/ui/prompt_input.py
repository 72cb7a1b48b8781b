"""The prompt-toolkit side of the REPL: input with history and completion, the approval
questions, and the read–dispatch loop.

Enter sends; Esc Enter (Alt-Enter) adds a line; a pasted block stays one message; Ctrl-R
searches the history; Ctrl-C clears the line, and at an empty prompt twice leaves, as Ctrl-D
does. `@path` attaches a file's content to the message.
"""

import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import is_searching
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys
from prompt_toolkit.output import Output
from pydantic import BaseModel, Field
from rich.console import Console
from rich.text import Text

from devcli.safety.approval import Answer, ApprovalRequest, Decision
from devcli.tools.text_file import FileRefused, read_text_file
from devcli.ui.slash_commands import (
    APPROVAL_MODES,
    COMMANDS,
    Next,
    SessionControls,
    dispatch,
    is_slash_command,
)

MAX_ATTACHED_CHARS = 100_000
_MAX_PATH_COMPLETIONS = 200
_MENTION = re.compile(r"(?<!\S)@(\S+)")


def history_path() -> Path:
    """Per user, in the platform's state folder (XDG_STATE_HOME on Linux)."""
    from platformdirs import user_state_path

    return user_state_path("devcli", appauthor=False) / "history"


def open_history(path: Path | None) -> History:
    if path is None:
        return InMemoryHistory()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
    except OSError:
        return InMemoryHistory()  # a read-only home must not stop the session
    return FileHistory(str(path))


# -- completion ------------------------------------------------------------------------------


class ReplCompleter(Completer):
    """Slash commands (and /approval's modes) at the start of the line; `@path` anywhere."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        before = document.text_before_cursor
        if before.startswith("/") and " " not in before:
            typed = before[1:].lower()
            for command in COMMANDS.values():
                if command.name.startswith(typed):
                    yield Completion(
                        "/" + command.name,
                        start_position=-len(before),
                        display_meta=command.summary,
                    )
            return
        if before.startswith("/approval ") and before.count(" ") == 1:
            typed = before.split(" ", 1)[1]
            for mode in APPROVAL_MODES:
                if mode.startswith(typed):
                    yield Completion(mode, start_position=-len(typed))
            return
        word = document.get_word_before_cursor(WORD=True)
        if word.startswith("@"):
            yield from self._paths(word[1:])

    def _paths(self, typed: str) -> Iterator[Completion]:
        folder_part, _, name_part = typed.rpartition("/")
        folder = self.workspace / folder_part if folder_part else self.workspace
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        shown = 0
        for entry in entries:
            if not entry.name.startswith(name_part) or entry.name == ".git":
                continue
            if entry.name.startswith(".") and not name_part.startswith("."):
                continue
            suffix = "/" if entry.is_dir() else ""
            relative = (folder_part + "/" if folder_part else "") + entry.name + suffix
            yield Completion("@" + relative, start_position=-len(typed) - 1, display=relative)
            shown += 1
            if shown >= _MAX_PATH_COMPLETIONS:
                return


# -- @path mentions --------------------------------------------------------------------------


class Attachments(BaseModel):
    message: str
    attached: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)


def _mentioned_file(token: str, workspace: Path) -> tuple[Path, str] | None:
    """The file a mention names, trying without trailing punctuation too ("see @a.py,")."""
    for candidate in (token, token.rstrip(".,;:!?)\"'")):
        path = Path(candidate).expanduser()
        path = path if path.is_absolute() else workspace / path
        if candidate and path.is_file():
            return path, candidate
    return None


def attach_mentions(text: str, workspace: Path) -> Attachments:
    """Append the content of each `@file` the message mentions; other `@words` stay as typed."""
    blocks: list[str] = []
    result = Attachments(message=text)
    seen: set[Path] = set()
    for match in _MENTION.finditer(text):
        found = _mentioned_file(match.group(1), workspace)
        if found is None or found[0].resolve() in seen:
            continue
        path, shown = found
        seen.add(path.resolve())
        try:
            content = read_text_file(path).text
        except (OSError, FileRefused) as exc:
            result.problems.append(f"@{shown} was not attached: {exc}")
            continue
        if len(content) > MAX_ATTACHED_CHARS:
            result.problems.append(
                f"@{shown} is over {MAX_ATTACHED_CHARS:,} characters; attached its beginning"
            )
            content = content[:MAX_ATTACHED_CHARS] + "\n[cut here]"
        blocks.append(f'<file path="{path}">\n{content.rstrip()}\n</file>')
        result.attached.append(shown)
    if blocks:
        result.message = text + "\n\nFiles the user attached:\n\n" + "\n\n".join(blocks)
    return result


# -- input -----------------------------------------------------------------------------------


def _input_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter", filter=~is_searching)
    def _send(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None and state.current_completion is not None:
            buffer.apply_completion(state.current_completion)
            return
        buffer.validate_and_handle()

    @bindings.add("escape", "enter", filter=~is_searching)
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.newline(copy_margin=False)

    @bindings.add("c-c", filter=~is_searching)
    def _interrupt(event: KeyPressEvent) -> None:
        if event.current_buffer.text:
            event.current_buffer.reset()
        else:
            event.app.exit(exception=KeyboardInterrupt())

    return bindings


class ReplInput:
    """Reads one message at a time from the person."""

    def __init__(
        self,
        workspace: Path,
        history: History,
        toolbar: Callable[[], str],
        input: Input | None = None,
        output: Output | None = None,
    ) -> None:
        self._session: PromptSession[str] = PromptSession(
            multiline=True,
            history=history,
            completer=ReplCompleter(workspace),
            complete_while_typing=True,
            key_bindings=_input_bindings(),
            bottom_toolbar=lambda: FormattedText([("class:bottom-toolbar", " " + toolbar())]),
            prompt_continuation=lambda width, line, wrap: "." * (width - 1) + " ",
            input=input,
            output=output,
        )

    def read(self) -> str:
        return self._session.prompt([("bold", "› ")])


# -- approvals -------------------------------------------------------------------------------


class TerminalApprover:
    """Asks the person at the terminal: y / n / a (always, for the rest of the session)."""

    def __init__(
        self,
        console: Console,
        pause: Callable[[], AbstractContextManager[None]],
        input: Input | None = None,
        output: Output | None = None,
    ) -> None:
        self.console = console
        self.pause = pause
        self._input = input
        self._output = output

    def decide(self, request: ApprovalRequest) -> Decision:
        question = (
            f"Allow this {request.kind.value}? [y]es  [n]o  "
            f"[a]lways allow {request.scope_label} this session "
        )
        with self.pause():
            key = self._key(question, "yna")
            if key == "y":
                return Decision(answer=Answer.YES)
            if key == "a":
                return Decision(answer=Answer.ALWAYS)
            reason = self._line("Tell the model why (Enter to skip): ")
        return Decision(answer=Answer.NO, reason=reason)

    def confirm(self, question: str, detail: str = "") -> bool:
        with self.pause():
            if detail:
                self.console.print(Text(detail, style="yellow"))
            return self._key(f"{question} [y]es  [n]o ", "yn") == "y"

    def _key(self, question: str, keys: Iterable[str]) -> str:
        bindings = KeyBindings()
        for key in keys:
            bindings.add(key)(_exit_with(key))
            bindings.add(key.upper())(_exit_with(key))

        @bindings.add(Keys.Any)
        def _ignore(event: KeyPressEvent) -> None:
            pass  # only the offered keys answer

        @bindings.add("c-c")
        def _interrupt(event: KeyPressEvent) -> None:
            event.app.exit(exception=KeyboardInterrupt())

        session: PromptSession[str] = PromptSession(
            key_bindings=bindings, input=self._input, output=self._output
        )
        answer = session.prompt([("bold fg:ansiyellow", question)])
        self.console.print(Text(f"  → {_ANSWER_WORDS[answer]}", style="dim"))
        return answer

    def _line(self, question: str) -> str:
        session: PromptSession[str] = PromptSession(input=self._input, output=self._output)
        try:
            return session.prompt(question).strip()
        except EOFError:
            return ""


_ANSWER_WORDS = {"y": "yes", "n": "no", "a": "always"}


def _exit_with(key: str) -> Callable[[KeyPressEvent], None]:
    def handler(event: KeyPressEvent) -> None:
        event.app.exit(result=key)

    return handler


# -- the loop --------------------------------------------------------------------------------


class ReplSession(SessionControls, Protocol):
    workspace: Path

    def send(self, message: str) -> None: ...


def run_repl(session: ReplSession, reader: ReplInput) -> None:
    """Read messages and slash commands until /exit, Ctrl-D, or Ctrl-C twice at an empty prompt."""
    console = session.console
    interrupted_once = False
    while True:
        try:
            text = reader.read()
        except KeyboardInterrupt:
            if interrupted_once:
                return
            interrupted_once = True
            console.print(Text("Press Ctrl-C again or Ctrl-D to leave.", style="dim"))
            continue
        except EOFError:
            return
        interrupted_once = False
        if not text.strip():
            continue
        if is_slash_command(text):
            if dispatch(session, text) is Next.EXIT:
                return
            continue
        attachments = attach_mentions(text, session.workspace)
        for problem in attachments.problems:
            console.print(Text(problem, style="yellow"))
        if attachments.attached:
            console.print(Text("Attached: " + ", ".join(attachments.attached), style="dim"))
        try:
            session.send(attachments.message)
        except KeyboardInterrupt:
            console.print(Text("Interrupted.", style="bold yellow"))
