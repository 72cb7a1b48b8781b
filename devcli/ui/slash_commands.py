"""The REPL's slash commands: what each does, parsing, and a suggestion for a mistyped name."""

import difflib
from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.table import Table
from rich.text import Text

APPROVAL_MODES = ("ask", "auto-edit", "auto")


class Next(StrEnum):
    CONTINUE = "continue"
    EXIT = "exit"


class CommandFailed(Exception):
    """A slash command that could not do its job; the message is for the person."""


class SessionControls(Protocol):
    """What slash commands may do to the interactive session."""

    console: Console

    def model_description(self) -> str: ...

    def switch_model(self, name: str) -> str: ...

    def approval_mode(self) -> str: ...

    def set_approval_mode(self, mode: str) -> None: ...

    def clear(self) -> str: ...

    def status_rows(self) -> list[tuple[str, str]]: ...

    def changes(self) -> str:
        """A unified diff of the work tree since the session began ("" for none)."""
        ...

    def undo(self) -> str: ...

    def compact(self, instructions: str) -> str: ...

    def resume(self, wanted: str | None) -> str: ...

    def mcp_rows(self) -> list[tuple[str, str, str]]:
        """Each MCP server: its name, its state, the tools it offers the model."""
        ...


class SlashCommand(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    usage: str
    summary: str
    run: Callable[[SessionControls, str], Next]


def _say(session: SessionControls, text: str, style: str = "") -> None:
    session.console.print(Text(text, style=style))


def _help(session: SessionControls, argument: str) -> Next:
    table = Table(show_header=False, box=None, padding=(0, 2))
    for command in COMMANDS.values():
        table.add_row(command.usage, command.summary)
    session.console.print(table)
    keys = Table(show_header=False, box=None, padding=(0, 2))
    for key, meaning in KEY_HINTS:
        keys.add_row(key, meaning)
    session.console.print(keys)
    return Next.CONTINUE


def _model(session: SessionControls, argument: str) -> Next:
    if argument:
        _say(session, session.switch_model(argument), "green")
    else:
        _say(session, session.model_description())
    return Next.CONTINUE


def _approval(session: SessionControls, argument: str) -> Next:
    if not argument:
        _say(
            session,
            f"Approval mode: {session.approval_mode()} (choose with /approval "
            + " | ".join(APPROVAL_MODES)
            + ")",
        )
        return Next.CONTINUE
    if argument not in APPROVAL_MODES:
        raise CommandFailed(
            f"unknown approval mode {argument!r}; the modes are " + ", ".join(APPROVAL_MODES)
        )
    session.set_approval_mode(argument)
    _say(session, f"Approval mode is now {argument}.", "green")
    return Next.CONTINUE


def _status(session: SessionControls, argument: str) -> Next:
    table = Table(show_header=False, box=None, padding=(0, 2))
    for name, value in session.status_rows():
        table.add_row(Text(name, style="bold"), Text(value))
    session.console.print(table)
    return Next.CONTINUE


def _plain(action: Callable[[SessionControls], str]) -> Callable[[SessionControls, str], Next]:
    def run(session: SessionControls, argument: str) -> Next:
        _say(session, action(session))
        return Next.CONTINUE

    return run


def _diff(session: SessionControls, argument: str) -> Next:
    from devcli.ui.console import diff_text

    changes = session.changes()
    if changes.strip():
        session.console.print(diff_text(changes, keep=400), end="")
    else:
        _say(session, "No changes since the session began.")
    return Next.CONTINUE


def _compact(session: SessionControls, argument: str) -> Next:
    _say(session, session.compact(argument))
    return Next.CONTINUE


def _resume(session: SessionControls, argument: str) -> Next:
    _say(session, session.resume(argument.strip() or None))
    return Next.CONTINUE


def _mcp(session: SessionControls, argument: str) -> Next:
    rows = session.mcp_rows()
    if not rows:
        _say(session, "No MCP servers in this session (add one with `devcli mcp add`).")
        return Next.CONTINUE
    table = Table(box=None, padding=(0, 2))
    for heading in ("server", "state", "tools"):
        table.add_column(heading, style="bold" if heading == "server" else "")
    for name, state, tools in rows:
        table.add_row(Text(name), Text(state), Text(tools))
    session.console.print(table)
    return Next.CONTINUE


def _exit(session: SessionControls, argument: str) -> Next:
    return Next.EXIT


KEY_HINTS = (
    ("Enter", "send the message"),
    ("Esc Enter / Alt-Enter", "new line"),
    ("@path", "attach a file (Tab completes)"),
    ("Ctrl-R", "search the history"),
    ("Ctrl-C", "interrupt the model or the running command"),
    ("Ctrl-D", "leave (or Ctrl-C twice at an empty prompt)"),
)

COMMANDS: dict[str, SlashCommand] = {
    command.name: command
    for command in (
        SlashCommand(name="help", usage="/help", summary="this list", run=_help),
        SlashCommand(
            name="model", usage="/model [NAME]", summary="show or switch the model", run=_model
        ),
        SlashCommand(
            name="approval",
            usage="/approval [MODE]",
            summary="ask, auto-edit or auto",
            run=_approval,
        ),
        SlashCommand(
            name="diff", usage="/diff", summary="changes since the session began", run=_diff
        ),
        SlashCommand(
            name="undo",
            usage="/undo",
            summary="undo the agent's last change",
            run=_plain(lambda s: s.undo()),
        ),
        SlashCommand(
            name="compact",
            usage="/compact [FOCUS]",
            summary="summarise the conversation to free context",
            run=_compact,
        ),
        SlashCommand(
            name="clear",
            usage="/clear",
            summary="start a new conversation",
            run=_plain(lambda s: s.clear()),
        ),
        SlashCommand(
            name="resume",
            usage="/resume [ID]",
            summary="carry on with a saved session (the latest by default)",
            run=_resume,
        ),
        SlashCommand(
            name="status",
            usage="/status",
            summary="model, context, tokens, session file",
            run=_status,
        ),
        SlashCommand(
            name="mcp", usage="/mcp", summary="MCP servers, their state and tools", run=_mcp
        ),
        SlashCommand(name="exit", usage="/exit", summary="leave devcli", run=_exit),
    )
}
ALIASES = {"quit": "exit", "q": "exit", "?": "help"}


def is_slash_command(text: str) -> bool:
    """A message starting with `/name`, but not an absolute path such as `/etc/hosts …`."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) == 1:
        return False
    first = stripped.split(maxsplit=1)[0]
    return "/" not in first[1:]


def suggestion(name: str) -> str | None:
    close = difflib.get_close_matches(name, [*COMMANDS, *ALIASES], n=1, cutoff=0.5)
    if not close:
        return None
    return ALIASES.get(close[0], close[0])


def dispatch(session: SessionControls, text: str) -> Next:
    """Run one slash command line; problems are printed, never raised."""
    head, _, argument = text.strip()[1:].partition(" ")
    name = ALIASES.get(head.lower(), head.lower())
    command = COMMANDS.get(name)
    if command is None:
        close = suggestion(name)
        hint = f" Did you mean /{close}?" if close else " Type /help for the list."
        _say(session, f"Unknown command /{head}.{hint}", "yellow")
        return Next.CONTINUE
    try:
        return command.run(session, argument.strip())
    except CommandFailed as exc:
        _say(session, f"/{name}: {exc}", "red")
        return Next.CONTINUE
