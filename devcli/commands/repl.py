"""The interactive session `devcli` opens: one conversation with the model, many messages."""

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from pydantic import BaseModel
from rich.console import Console
from rich.text import Text

from devcli import __version__
from devcli.agent.approval import ApprovalHook, ApprovalMode, default_mode
from devcli.agent.assembly import (
    build_condenser,
    build_hooks,
    build_toolbox,
)
from devcli.agent.condenser import ContextExhausted
from devcli.agent.hooks import ToolHook
from devcli.agent.instructions import find_instructions
from devcli.agent.loop import Agent, Mode, StopReason
from devcli.agent.session_start import open_conversation
from devcli.cli_app import fail
from devcli.commands.run import load_settings_or_exit
from devcli.config import ConfigError, Settings
from devcli.events import SessionWriter
from devcli.llm.base import Backend
from devcli.safety.redaction import Redactor, secret_values
from devcli.sessions import ResumedSession
from devcli.tools.bash import BashTool
from devcli.ui.console import ConsoleRenderer, make_console
from devcli.ui.repl import ReplInput, TerminalApprover, history_path, open_history, run_repl
from devcli.ui.slash_commands import CommandFailed
from devcli.ui.status import context_usage


class ReplOptions(BaseModel):
    cwd: Path
    overrides: dict[str, Any]
    replay: Path | None = None
    session_file: Path | None = None
    no_color: bool = False


class InteractiveSession:
    """Holds the backend, tools, hooks and the current conversation; slash commands act on it."""

    def __init__(
        self,
        settings: Settings,
        workspace: Path,
        backend: Backend,
        console: Console,
        session_file: Path | None = None,
        input: Input | None = None,
        output: Output | None = None,
    ) -> None:
        self.settings = settings
        self.workspace = workspace
        self.backend = backend
        self.console = console
        self.condenser = build_condenser(settings, backend)
        self.renderer = ConsoleRenderer(
            console,
            workspace,
            model=backend.model_name,
            backend_kind=backend.kind,
            context_window=self.condenser.window,
        )
        self.approver = TerminalApprover(console, self.renderer.paused, input, output)
        self.toolbox = build_toolbox(settings, workspace, self.approver, notice=self._notice)
        # Secrets never reach the session file or the screen.
        self.redactor = Redactor(secret_values(os.environ, [settings.api_key]))
        # One approval hook for the whole REPL: its mode and "always" answers outlive /clear.
        mode = default_mode(settings, Mode.INTERACTIVE)
        self.approval = ApprovalHook(mode, workspace, self.approver)
        self._note_for_model = ""
        self._requested_file = session_file
        self._writer: SessionWriter | None = None
        self.hooks: list[ToolHook] = []
        self.session_id = ""
        self.agent = self._new_conversation()

    def _notice(self, text: str) -> None:
        self.console.print(Text(f"devcli: {text}", style="yellow"))

    def _new_conversation(self, resume: tuple[Path, ResumedSession] | None = None) -> Agent:
        """A fresh (or resumed) conversation with its own file and checkpoints; approvals and
        their "always" answers carry on."""
        self._close_conversation()

        def hooks_for(session_id: str) -> list[ToolHook]:
            hooks = build_hooks(
                self.settings, self.workspace, Mode.INTERACTIVE, self.approver, session_id
            )
            self.hooks = [self.approval if isinstance(h, ApprovalHook) else h for h in hooks]
            return self.hooks

        conversation = open_conversation(
            settings=self.settings,
            workspace=self.workspace,
            backend=self.backend,
            toolbox=self.toolbox,
            condenser=self.condenser,
            mode=Mode.INTERACTIVE,
            hooks_for=hooks_for,
            outputs=[self.renderer],
            redactor=self.redactor,
            on_text=self.renderer.on_text,
            session_file=self._requested_file,
            resume=resume,
        )
        self._requested_file = None  # /clear starts a file of its own
        self._writer = conversation.writer
        self.session_id = conversation.session_id
        return conversation.agent

    def resume(self, wanted: str | None) -> str:
        """Carry on with a saved session of this repository (the newest other one by default)."""
        from devcli.events import SessionFileError
        from devcli.sessions import SessionNotFound, find_session, list_sessions, load_for_resume

        try:
            if wanted is None:
                others = [s for s in list_sessions(self.workspace) if s.id != self.session_id]
                if not others:
                    raise SessionNotFound(f"no other saved session for {self.workspace}")
                info = others[0]
            else:
                info = find_session(self.workspace, wanted)
            resumed = load_for_resume(info.path)
        except (SessionNotFound, SessionFileError, OSError) as exc:
            raise CommandFailed(str(exc)) from exc
        self.agent = self._new_conversation(resume=(info.path, resumed))
        steps = sum(1 for e in resumed.events if e.type == "assistant")
        return f"Resumed session {info.id} ({steps} steps): {info.task.splitlines()[0][:80]}"

    def _close_conversation(self) -> None:
        for hook in self.hooks:
            close = getattr(hook, "close", None)
            if callable(close):
                close()
        if self._writer is not None:
            self._writer.close()

    @property
    def session_file(self) -> Path:
        assert self._writer is not None
        return self._writer.path

    # -- messages --------------------------------------------------------------------------

    def send(self, message: str) -> None:
        if self._note_for_model:
            message = f"{self._note_for_model}\n\n{message}"
            self._note_for_model = ""
        try:
            outcome = self.agent.run(message)
        finally:
            self.renderer.stop()
        if outcome.reason is StopReason.INTERRUPTED:
            self._interrupt_running_commands()

    def _interrupt_running_commands(self) -> None:
        """Ctrl-C reached devcli, not the command in the tool's own terminal: pass it on."""
        for tool in self.toolbox.tools.values():
            if isinstance(tool, BashTool) and tool.shell.alive and tool.shell.running:
                tool.shell.send("C-c", soft_timeout=1.0, hard_timeout=5.0)

    # -- what slash commands call ----------------------------------------------------------

    def model_description(self) -> str:
        return f"Model: {self.backend.model_name} ({self.backend.kind}). Switch with /model NAME."

    def switch_model(self, name: str) -> str:
        from devcli.llm.factory import make_backend

        settings = self.settings.model_copy(update={"model": name})
        try:
            backend = make_backend(settings, self.workspace)
        except ConfigError as exc:
            raise CommandFailed(str(exc)) from exc
        self.backend.close()
        self.backend = self.agent.backend = backend
        self.condenser = self.agent.condenser = build_condenser(settings, backend)
        self.agent.meter = self.condenser.meter
        self.settings = settings
        self.renderer.model = backend.model_name
        self.renderer.backend_kind = backend.kind
        self.renderer.context_window = self.condenser.window
        return f"Now using {backend.model_name} ({backend.kind})."

    def approval_mode(self) -> str:
        return self.approval.mode.value

    def set_approval_mode(self, mode: str) -> None:
        self.approval.mode = ApprovalMode(mode)

    def clear(self) -> str:
        self.agent = self._new_conversation()
        return f"Started a new conversation. Session file: {self.session_file}"

    def status_rows(self) -> list[tuple[str, str]]:
        stats = self.renderer.stats()
        window = self.renderer.context_window
        instructions = find_instructions(self.workspace)
        rows = [
            ("model", f"{self.backend.model_name} ({self.backend.kind} backend)"),
            ("approval", self.approval.mode.value),
            ("context", context_usage(stats, window)),
            (
                "tokens",
                f"{stats.prompt_tokens} prompt, {stats.completion_tokens} completion "
                f"in {stats.steps} steps",
            ),
        ]
        if self.renderer.tokens_per_second:
            rows.append(("speed", f"{self.renderer.tokens_per_second:.1f} tokens/s"))
        rows += [
            ("session file", str(self.session_file)),
            ("workspace", str(self.workspace)),
            (
                "instructions",
                ", ".join(str(i.path) for i in instructions) if instructions else "no AGENTS.md",
            ),
        ]
        return rows

    def status_bar(self) -> str:
        return self.renderer.status_text(self.approval.mode.value)

    def changes(self) -> str:
        from devcli.safety.checkpoints import CheckpointError, CheckpointStore

        try:
            with CheckpointStore.for_workspace(self.workspace) as store:
                checkpoints = store.checkpoints(self.session_id)
                if not checkpoints:
                    return ""  # no checkpoint: the agent has changed nothing yet
                first = min(checkpoints, key=lambda c: c.step)
                return store.diff_text(first.tree, store.write_tree())
        except CheckpointError as exc:
            raise CommandFailed(str(exc)) from exc

    def undo(self) -> str:
        from devcli.safety.checkpoints import CheckpointError, CheckpointStore
        from devcli.safety.undo import (
            UndoError,
            apply_undo,
            describe_plan,
            describe_result,
            plan_undo,
        )

        try:
            with CheckpointStore.for_workspace(self.workspace) as store:
                if not store.checkpoints(self.session_id):
                    return "Nothing to undo: the agent has not changed any file in this session."
                plan = plan_undo(store, self.session_id, None)
                self.console.print(Text(describe_plan(plan)))
                if not plan.changes:
                    return "The work tree already matches that checkpoint."
                if not self.approver.confirm("Restore these files?"):
                    return "Nothing was changed."
                result = apply_undo(store, plan)
        except (UndoError, CheckpointError) as exc:
            raise CommandFailed(str(exc)) from exc
        # The model must not believe its edits are still there.
        self._note_for_model = (
            "(I undid your changes to " + ", ".join(c.path for c in plan.changes) + ": those "
            "files are back as they were before step " + f"{plan.checkpoint.step}.)"
        )
        return describe_result(result)

    def compact(self, instructions: str = "") -> str:
        try:
            self.agent.compact(instructions or None)
        except ContextExhausted as exc:
            raise CommandFailed(str(exc)) from exc
        return "The conversation is condensed."

    # -- lifetime --------------------------------------------------------------------------

    def banner(self) -> None:
        self.console.print(
            Text(f"devcli {__version__}", style="bold")
            + Text(
                f" · {self.backend.model_name} ({self.backend.kind}) · approval "
                f"{self.approval.mode.value} · /help for commands, Ctrl-D to leave",
                style="dim",
            )
        )
        found = find_instructions(self.workspace)
        if found:
            names = ", ".join(str(i.path) for i in found)
            self.console.print(Text(f"Project instructions: {names}", style="dim"))

    def close(self) -> None:
        self.renderer.stop()
        self._close_conversation()
        self.toolbox.close()
        self.backend.close()


def _backend_for(options: ReplOptions, settings: Settings) -> Backend:
    if options.replay is not None:
        from devcli.llm.replay import ReplayBackend, ReplayFileError

        try:
            return ReplayBackend.from_file(options.replay)
        except ReplayFileError as exc:
            raise fail(str(exc)) from exc
    from devcli.llm.factory import make_backend
    from devcli.ui.choices import ask_choice

    def choose(models: Sequence[str]) -> str:
        try:
            return ask_choice("The server offers several models:", models)
        except (EOFError, KeyboardInterrupt) as exc:
            raise ConfigError("no model was chosen; name one with --model") from exc

    try:
        return make_backend(settings, options.cwd, choose_model=choose)
    except ConfigError as exc:
        raise fail(str(exc)) from exc


def open_repl(options: ReplOptions) -> int:
    """Run the interactive session until the person leaves; returns the exit code."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise fail('the interactive session needs a terminal; in scripts use `devcli run "…"`')
    settings = load_settings_or_exit(options.cwd, options.overrides)
    backend = _backend_for(options, settings)
    console = make_console(no_color=options.no_color)
    try:
        session = InteractiveSession(settings, options.cwd, backend, console, options.session_file)
    except ConfigError as exc:  # a `tools` setting naming no tool, a required sandbox
        backend.close()
        raise fail(str(exc)) from exc
    try:
        session.banner()
        reader = ReplInput(options.cwd, open_history(history_path()), session.status_bar)
        run_repl(session, reader)
    finally:
        session.close()
    console.print(Text(f"Session saved to {session.session_file}", style="dim"))
    return 0
