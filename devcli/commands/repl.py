"""The interactive session `devcli` opens: one conversation with the model, many messages."""

import contextlib
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
from devcli.agent.assembly import (
    attach_mcp_tools,
    build_condenser,
    build_hooks,
    build_toolbox,
    default_mode,
    session_secrets,
)
from devcli.agent.condenser import ContextExhausted
from devcli.agent.instructions import find_instructions
from devcli.agent.loop import Agent, Mode, StopReason
from devcli.agent.session_start import agent_for_backend, open_conversation
from devcli.cli_app import fail, load_settings_or_exit
from devcli.commands.model_switch import (
    NO_MODEL_HINT,
    apply_model_request,
    download_configured_model,
    no_model_guidance,
    parse_model_request,
)
from devcli.config import ApprovalMode, ConfigError, Settings
from devcli.events import SessionWriter
from devcli.exit_codes import ExitCode
from devcli.llm.backend import Backend, BackendError, BackendStartError
from devcli.llm.factory import ModelUnavailable
from devcli.llm.prompt_cache_figures import last_restore_text
from devcli.notices import use_reporter
from devcli.redaction import Redactor, secret_values
from devcli.safety.approval import ApprovalHook
from devcli.session_files import ResumedSession
from devcli.tools.base import CallHook
from devcli.tools.bash import BashTool
from devcli.ui.console import ConsoleRenderer, make_console
from devcli.ui.prompt_input import ReplInput, TerminalApprover, history_path, open_history, run_repl
from devcli.ui.renderers import show_reasoning_on_stderr
from devcli.ui.session_stats import SessionStats, context_usage, stats_of
from devcli.ui.slash_commands import CommandFailed
from devcli.ui.terminal_reporter import ConsoleReporter


class ReplOptions(BaseModel):
    cwd: Path
    overrides: dict[str, Any]
    replay: Path | None = None
    session_file: Path | None = None
    no_color: bool = False


class InteractiveSession:
    """Holds the backend, tools, hooks and the current conversation; slash commands act on it.

    Without a backend (the model is not on disk yet) the session still opens: it explains how
    to get a model, and `/model` supplies one without a restart.
    """

    def __init__(
        self,
        settings: Settings,
        workspace: Path,
        backend: Backend | None,
        console: Console,
        session_file: Path | None = None,
        input: Input | None = None,
        output: Output | None = None,
        missing: ModelUnavailable | None = None,
    ) -> None:
        self.settings = settings
        self.workspace = workspace
        self.backend: Backend | None = None
        self.console = console
        self.missing = missing
        self.found_models: list[Path] = []
        self.renderer = ConsoleRenderer(console, workspace)
        self.approver = TerminalApprover(console, self.renderer.paused, input, output)
        self.toolbox = build_toolbox(settings, workspace, self.approver, notice=self._notice)
        self.mcp = attach_mcp_tools(self.toolbox, settings, workspace, self._notice)
        # Secrets never reach the session file or the screen.
        self.redactor = Redactor(secret_values(os.environ, session_secrets(settings)))
        # One approval hook for the whole REPL: its mode and "always" answers outlive /clear.
        mode = default_mode(settings, Mode.INTERACTIVE)
        self.approval = ApprovalHook(mode, workspace, self.approver)
        self._note_for_model = ""
        self._requested_file = session_file
        self._writer: SessionWriter | None = None
        self.hooks: list[CallHook] = []
        self.session_id = ""
        self._agent: Agent | None = None
        self._context_cache: tuple[int, int] | None = None  # (events seen, tokens)
        if backend is not None:
            self.use_backend(backend, settings)

    @property
    def agent(self) -> Agent:
        if self._agent is None:
            raise CommandFailed("there is no model yet: " + NO_MODEL_HINT)
        return self._agent

    @agent.setter
    def agent(self, agent: Agent) -> None:
        self._agent = agent

    def use_backend(self, backend: Backend, settings: Settings) -> None:
        """Talk to `backend` from now on; the conversation so far carries on."""
        previous = self.backend
        self.backend, self.settings, self.missing = backend, settings, None
        show_reasoning_on_stderr(backend)
        self.condenser = build_condenser(settings, backend)
        self.renderer.model = backend.model_name
        self.renderer.backend_kind = backend.kind
        self.renderer.context_window = self.condenser.window
        self._context_cache = None
        if self._agent is None:
            self._agent = self._new_conversation()
        else:
            self._agent = agent_for_backend(self._agent, backend, self.condenser, self.workspace)
        if previous is not None and previous is not backend:
            previous.close()

    def _notice(self, text: str) -> None:
        self.console.print(Text(f"devcli: {text}", style="yellow"))

    def _new_conversation(self, resume: tuple[Path, ResumedSession] | None = None) -> Agent:
        """A fresh (or resumed) conversation with its own file and checkpoints; approvals and
        their "always" answers carry on."""
        if self.backend is None:
            raise CommandFailed("there is no model yet: " + NO_MODEL_HINT)
        self._close_conversation()

        def hooks_for(session_id: str) -> list[CallHook]:
            hooks = build_hooks(
                self.settings,
                self.workspace,
                Mode.INTERACTIVE,
                self.approver,
                session_id,
                sandboxed=self.toolbox.sandboxed,
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
        from devcli.session_files import (
            SessionNotFound,
            find_session,
            list_sessions,
            load_for_resume,
        )

        try:
            if wanted is None:
                others = [s for s in list_sessions(self.workspace) if s.id != self.session_id]
                if not others:
                    raise SessionNotFound(f"no other saved session for {self.workspace}")
                info = others[0]
            else:
                info = find_session(self.workspace, wanted)
            resumed = load_for_resume(info.path)
        except (SessionNotFound, SessionFileError, OSError, UnicodeDecodeError) as exc:
            raise CommandFailed(str(exc)) from exc
        self.agent = self._new_conversation(resume=(info.path, resumed))
        steps = sum(1 for e in resumed.events if e.type == "assistant")
        return f"Resumed session {info.id} ({steps} steps): {info.task.splitlines()[0][:80]}"

    def _close_conversation(self) -> None:
        for hook in self.hooks:
            hook.close()
        if self._writer is not None:
            self._writer.close()

    @property
    def has_conversation(self) -> bool:
        return self._writer is not None

    @property
    def session_file(self) -> Path:
        assert self._writer is not None
        return self._writer.path

    # -- messages --------------------------------------------------------------------------

    def send(self, message: str) -> None:
        if self._agent is None:
            self.console.print(Text("There is no model yet. " + NO_MODEL_HINT, style="yellow"))
            return
        if self._note_for_model:
            message = f"{self._note_for_model}\n\n{message}"
            self._note_for_model = ""
        try:
            outcome = self.agent.run(message)
        finally:
            self.renderer.stop()
            self._mark_end()
        if outcome.reason is StopReason.INTERRUPTED:
            self._interrupt_running_commands()

    def _mark_end(self) -> None:
        """Remember the work tree as the agent left it, so `devcli undo --all-steps` later
        restores only what the agent changed."""
        from devcli.checkpoints.run_report import mark_session_end
        from devcli.checkpoints.store import CheckpointError

        with contextlib.suppress(CheckpointError, OSError):
            mark_session_end(self.workspace, self.session_id)

    def _interrupt_running_commands(self) -> None:
        """Ctrl-C reached devcli, not the command in the tool's own terminal: pass it on."""
        for tool in self.toolbox.tools.values():
            if isinstance(tool, BashTool) and tool.shell.alive and tool.shell.running:
                tool.shell.send("C-c", soft_timeout=1.0, hard_timeout=5.0)

    # -- what slash commands call ----------------------------------------------------------

    def model_description(self) -> str:
        if self.backend is None:
            return self.model_guidance()
        return (
            f"Model: {self.backend.model_name} ({self.backend.kind}). Switch with /model NAME, "
            "/model PATH.gguf or /model --endpoint URL."
        )

    def model_guidance(self) -> str:
        """How to get a model, with the GGUFs already on this machine numbered for /model N."""
        from devcli.llm.model_files import find_local_models

        self.found_models = [found.path for found in find_local_models()]
        return no_model_guidance(self.missing, self.found_models)

    def switch_model(self, argument: str) -> str:
        from devcli.llm.factory import make_backend

        request = parse_model_request(argument, self.found_models)
        settings = apply_model_request(self.settings, request)
        try:
            with self.renderer.paused():
                if request.download:
                    download_configured_model(settings)
                backend = make_backend(settings, self.workspace, download=False)
        except ModelUnavailable as exc:
            self.missing = exc
            raise CommandFailed(str(exc)) from exc
        except (ConfigError, BackendStartError) as exc:
            raise CommandFailed(str(exc)) from exc
        self.use_backend(backend, settings)
        return f"Now using {backend.model_name} ({backend.kind})."

    def offer_download(self) -> None:
        """At start, with the model missing but downloadable: ask once."""
        if self.missing is None or not self.missing.downloadable:
            return
        if self.approver.confirm("Download it now?"):
            try:
                self.console.print(Text(self.switch_model("--download"), style="green"))
            except CommandFailed as exc:
                self.console.print(Text(f"/model: {exc}", style="red"))

    def approval_mode(self) -> str:
        return self.approval.mode.value

    def set_approval_mode(self, mode: str) -> None:
        self.approval.mode = ApprovalMode(mode)

    def clear(self) -> str:
        self.agent = self._new_conversation()
        return f"Started a new conversation. Session file: {self.session_file}"

    def _stats(self) -> SessionStats:
        """The renderer's figures, with the context in use counted now when no turn has
        reported it yet (a local model's prompt is known exactly before it runs)."""
        if self._agent is None:
            return SessionStats()
        stats = stats_of(self._agent.events)
        if stats.context_used:
            return stats
        seen = len(self._agent.events)
        if self._context_cache is None or self._context_cache[0] != seen:
            try:
                counted = self._agent.current_prompt_tokens()
            except BackendError:
                # mistral-common writes no prompt that ends with the model's reply (a resumed
                # session that ended with one): the next message makes it countable again.
                counted = 0
            self._context_cache = (seen, counted)
        return stats.model_copy(update={"context_used": self._context_cache[1]})

    def status_rows(self) -> list[tuple[str, str]]:
        stats = self._stats()
        window = self.renderer.context_window
        instructions = find_instructions(self.workspace)
        model = (
            f"{self.backend.model_name} ({self.backend.kind} backend)"
            if self.backend is not None
            else "none yet (see /model)"
        )
        rows = [
            ("model", model),
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
        restored = last_restore_text(self._agent.events) if self._agent is not None else None
        if restored:
            rows.append(("prompt cache", restored))
        rows += [
            ("session file", str(self.session_file) if self._writer else "none yet"),
            ("workspace", str(self.workspace)),
            (
                "instructions",
                ", ".join(str(i.path) for i in instructions) if instructions else "no AGENTS.md",
            ),
        ]
        return rows

    def mcp_rows(self) -> list[tuple[str, str, str]]:
        if self.mcp is None:
            return []
        return [(row.name, row.state, row.tools) for row in self.mcp.rows()]

    def status_bar(self) -> str:
        if self.backend is None:
            return "no model · /model to choose one"
        return self.renderer.status_text(self.approval.mode.value, self._stats())

    def changes(self) -> str:
        from devcli.checkpoints.store import CheckpointError, CheckpointStore

        if not self.has_conversation:
            return ""
        try:
            with CheckpointStore.for_workspace(self.workspace) as store:
                first = store.first_checkpoint(self.session_id)
                if first is None:
                    return ""  # no checkpoint: the agent has changed nothing yet
                return store.diff_text(first.tree, store.write_tree())
        except CheckpointError as exc:
            raise CommandFailed(str(exc)) from exc

    def undo(self) -> str:
        if not self.has_conversation:
            return "Nothing to undo: the agent has not changed any file in this session."
        from devcli.checkpoints.store import CheckpointError, CheckpointStore
        from devcli.checkpoints.undo import UndoError, UndoState, undo_with_consent

        try:
            with CheckpointStore.for_workspace(self.workspace) as store:
                if not store.checkpoints(self.session_id):
                    return "Nothing to undo: the agent has not changed any file in this session."
                outcome = undo_with_consent(
                    store,
                    self.session_id,
                    None,
                    False,
                    lambda text: self.console.print(Text(text)),
                    self.approver.confirm,
                )
        except (UndoError, CheckpointError) as exc:
            raise CommandFailed(str(exc)) from exc
        if outcome.state is UndoState.DONE:
            # The model must not believe its edits are still there.
            plan = outcome.plan
            self._note_for_model = (
                "(I undid your changes to " + ", ".join(c.path for c in plan.changes) + ": those "
                "files are back as they were before step " + f"{plan.checkpoint.step}.)"
            )
        return outcome.message

    def compact(self, instructions: str = "") -> str:
        try:
            self.agent.compact(instructions or None)
        except ContextExhausted as exc:
            raise CommandFailed(str(exc)) from exc
        return "The conversation is condensed."

    # -- lifetime --------------------------------------------------------------------------

    def banner(self) -> None:
        model = (
            f"{self.backend.model_name} ({self.backend.kind})"
            if self.backend is not None
            else "no model yet"
        )
        self.console.print(
            Text(f"devcli {__version__}", style="bold")
            + Text(
                f" · {model} · approval {self.approval.mode.value} · /help for commands, "
                "Ctrl-D to leave",
                style="dim",
            )
        )
        if self.backend is None:
            self.console.print(Text(self.model_guidance(), style="yellow"))
        found = find_instructions(self.workspace)
        if found:
            names = ", ".join(str(i.path) for i in found)
            self.console.print(Text(f"Project instructions: {names}", style="dim"))

    def close(self) -> None:
        self.renderer.stop()
        self._close_conversation()
        self.toolbox.close()
        if self.backend is not None:
            self.backend.close()


def _backend_for(options: ReplOptions, settings: Settings) -> Backend | ModelUnavailable:
    """The backend, or why the model is missing (the session then opens without one)."""
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
        return make_backend(settings, options.cwd, choose_model=choose, download=False)
    except ModelUnavailable as exc:
        return exc
    except ConfigError as exc:
        raise fail(str(exc)) from exc
    except BackendStartError as exc:
        raise fail(str(exc), ExitCode.BACKEND) from exc


def _with_project_servers(settings: Settings, options: ReplOptions) -> Settings:
    """Ask before the repository's own MCP servers start (they run programs)."""
    if not settings.mcp_servers:
        return settings
    from devcli.ui.project_consent import ask_about_project_servers

    try:
        return ask_about_project_servers(settings, options.cwd)
    except ConfigError as exc:
        raise fail(str(exc)) from exc


def open_repl(options: ReplOptions) -> int:
    """Run the interactive session until the person leaves; returns the exit code."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise fail('the interactive session needs a terminal; in scripts use `devcli run "…"`')
    settings = _with_project_servers(load_settings_or_exit(options.cwd, options.overrides), options)
    found = _backend_for(options, settings)
    console = make_console(no_color=options.no_color)
    backend, missing = (None, found) if isinstance(found, ModelUnavailable) else (found, None)
    try:
        session = InteractiveSession(
            settings, options.cwd, backend, console, options.session_file, missing=missing
        )
    except ConfigError as exc:  # a `tools` setting naming no tool, a required sandbox
        if backend is not None:
            backend.close()
        raise fail(str(exc)) from exc
    try:
        with use_reporter(ConsoleReporter(console, session.renderer.paused)):
            session.banner()
            session.offer_download()
            reader = ReplInput(options.cwd, open_history(history_path()), session.status_bar)
            run_repl(session, reader)
    finally:
        session.close()
    if session.has_conversation:
        console.print(Text(f"Session saved to {session.session_file}", style="dim"))
    return 0
