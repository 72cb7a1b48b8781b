"""One ACP session: a devcli conversation wired to the client.

Built like the REPL's conversation (the same tools, hooks, approval hook and session file),
with the client in the places the terminal takes there: its permission requests answer the
approval questions, session updates show the events, and the editor tool goes through the
client's files when it offers them. A turn runs in a worker thread; `cancel` may come from
the event loop's thread at any time.
"""

import asyncio
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acp import RequestError
from acp.interfaces import Client
from acp.schema import FileSystemCapabilities, StopReason

from devcli.acp.channel import ClientChannel
from devcli.acp.client_files import ClientFiles
from devcli.acp.permissions import PermissionBridge
from devcli.acp.prompt_blocks import UserPrompt
from devcli.acp.updates import SessionUpdate, UpdateTranslator
from devcli.agent.assembly import (
    attach_mcp_tools,
    build_condenser,
    build_hooks,
    build_toolbox,
    session_secrets,
)
from devcli.agent.loop import Mode
from devcli.agent.loop import StopReason as LoopStop
from devcli.agent.session_start import open_conversation
from devcli.config import ApprovalMode, ConfigError, Settings
from devcli.events import Event, ToolCall, UserMessage
from devcli.llm.backend import Backend, ImageError, TurnCancelled
from devcli.llm.openai_messages import check_images
from devcli.redaction import Redactor, secret_values
from devcli.safety.approval import ApprovalHook
from devcli.session_files import ResumedSession
from devcli.tools.base import CallHook, Refusal, Tool, ToolArgs
from devcli.tools.bash import BashTool
from devcli.tools.editor import EditorTool
from devcli.tools.text_file import FileRefused, read_text_file

_STOP_REASONS: dict[LoopStop, StopReason] = {
    LoopStop.INTERRUPTED: "cancelled",
    LoopStop.STEP_LIMIT: "max_turn_requests",
    LoopStop.CONTEXT: "max_tokens",
}


@dataclass(frozen=True)
class SessionServices:
    """What every session of one server shares."""

    backend: Backend
    client: Client
    loop: asyncio.AbstractEventLoop
    client_fs: FileSystemCapabilities
    # One model serves every session, so turns take it one at a time.
    turn_lock: threading.Lock

    @property
    def images(self) -> bool:
        return self.backend.accepts_images


log = logging.getLogger(__name__)


class _StartNotice(CallHook):
    """The last hook: a call that reaches it passed every check and runs now."""

    def __init__(self, session: "AcpSession") -> None:
        self.session = session

    def before(self, call: ToolCall, tool: Tool[Any], args: ToolArgs) -> Refusal | None:
        self.session.send(self.session.translator.started(call))
        return None


class AcpSession:
    def __init__(
        self,
        services: SessionServices,
        workspace: Path,
        settings: Settings,
        resume: tuple[Path, ResumedSession] | None = None,
    ) -> None:
        self.services = services
        self.workspace = workspace
        self.settings = settings
        self.channel = ClientChannel(services.client, services.loop)
        reads = bool(services.client_fs.read_text_file)
        writes = bool(services.client_fs.write_text_file)
        self.files = ClientFiles(self.channel, reads, writes) if reads or writes else None
        self.translator = UpdateTranslator(workspace, self._preview_text)
        self.permissions = PermissionBridge(self.channel, self.translator)
        self.toolbox = build_toolbox(settings, workspace, self.permissions, notice=log.warning)
        editor = self.toolbox.tools.get(EditorTool.name)
        if self.files is not None and isinstance(editor, EditorTool):
            editor.files = self.files
        self._start_mcp_servers()
        self.hooks: list[CallHook] = []
        self._live = False  # events recorded while the conversation opens are not shown
        self.busy = False
        conversation = open_conversation(
            settings=settings,
            workspace=workspace,
            backend=services.backend,
            toolbox=self.toolbox,
            condenser=build_condenser(settings, services.backend),
            mode=Mode.INTERACTIVE,
            hooks_for=self._hooks_for,
            outputs=[self._show_event],
            redactor=Redactor(secret_values(os.environ, session_secrets(settings))),
            on_text=self._show_text,
            resume=resume,
        )
        self.agent = conversation.agent
        self.writer = conversation.writer
        self.session_id = conversation.session_id
        self.channel.bind(self.session_id, self.agent.cancel)
        self.approval = next(hook for hook in self.hooks if isinstance(hook, ApprovalHook))
        self._live = resume is None

    # -- wiring ----------------------------------------------------------------------------

    def _start_mcp_servers(self) -> None:
        """The configured and the editor's MCP servers; one that cannot start is logged and
        left out, and a malformed table leaves them all out: the session goes on."""
        try:
            attach_mcp_tools(self.toolbox, self.settings, self.workspace, log.warning)
        except ConfigError as exc:
            log.warning("MCP servers not started: %s", exc)

    def _hooks_for(self, session_id: str) -> list[CallHook]:
        self.hooks = build_hooks(
            self.settings,
            self.workspace,
            Mode.INTERACTIVE,
            self.permissions,
            session_id,
            sandboxed=self.toolbox.sandboxed,
        )
        self.hooks.append(_StartNotice(self))
        return self.hooks

    def send(self, updates: list[SessionUpdate]) -> None:
        for update in updates:
            self.channel.notify(update)

    def _show_event(self, event: Event) -> None:
        if self._live:
            self.send(self.translator.recorded(event))

    def _show_text(self, chunk: str) -> None:
        if self.agent.cancel.is_set():
            raise TurnCancelled  # stop a streaming reply as Ctrl-C would
        self.send(self.translator.streamed_text(chunk))

    def _preview_text(self, path: Path) -> str | None:
        """A file's text for edit previews: the client's buffer when the client offers it."""
        try:
            text = self.files.read(path).text if self.files else read_text_file(path).text
        except (OSError, FileRefused):
            return None
        return text.replace("\r\n", "\n")

    # -- what the protocol asks ------------------------------------------------------------

    def replay_history(self) -> None:
        """Show a resumed conversation to the client, then show new events as they come."""
        self.send(self.translator.history(self.agent.events))
        self._live = True

    @property
    def has_messages(self) -> bool:
        return any(isinstance(event, UserMessage) for event in self.agent.events)

    @property
    def mode(self) -> ApprovalMode:
        return self.approval.mode

    def set_mode(self, mode: ApprovalMode) -> None:
        self.approval.mode = mode

    def begin_turn(self) -> None:
        """On the event loop, before the worker starts: a cancel from now on stops this turn."""
        self.agent.cancel.clear()
        self.busy = True

    def run_turn(self, prompt: UserPrompt, images: list[Path]) -> StopReason:
        """In a worker thread: one user message, worked on until the model hands back."""
        try:
            with self.services.turn_lock:
                self.translator.new_prompt()
                if self.services.images:
                    self._check_images(images)
                outcome = self.agent.run(prompt.text, images=[str(path) for path in images])
                if outcome.reason is LoopStop.INTERRUPTED:
                    self._settle_interrupted_commands()
        finally:
            self.busy = False
        return _STOP_REASONS.get(outcome.reason, "end_turn")

    def cancel(self) -> None:
        """On the event loop: stop the turn as Ctrl-C does, the running command first."""
        self.agent.cancel.set()
        for tool in self.toolbox.tools.values():
            if isinstance(tool, BashTool):
                tool.interrupt()

    def image_folder(self) -> Path:
        path = self.writer.path
        return path.parent / f"{path.stem}-images"

    def close(self) -> None:
        for hook in self.hooks:
            hook.close()
        self.toolbox.close()
        self.writer.close()

    # -- helpers ---------------------------------------------------------------------------

    def _check_images(self, images: list[Path]) -> None:
        """Each message carries its own images: the backend, shared by the editor's sessions,
        keeps none of a task's, so none can go with another session's message."""
        try:
            check_images(self.services.backend, images)
            self.services.backend.attach_images(())
        except ImageError as exc:
            raise RequestError.invalid_params({"details": str(exc)}) from exc

    def _settle_interrupted_commands(self) -> None:
        """As the REPL does after Ctrl-C: a command still running gets Ctrl-C, and what it
        printed is collected, so the next command can start."""
        for tool in self.toolbox.tools.values():
            if isinstance(tool, BashTool) and tool.busy:
                tool.shell.send("C-c", soft_timeout=1.0, hard_timeout=5.0)
