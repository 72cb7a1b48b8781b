"""The ACP methods devcli answers, each a thin step onto `AcpSession`.

Everything that blocks (opening a conversation, a turn, replaying history) runs in a worker
thread, so the event loop stays free to read `session/cancel` and the answers to permission
requests while a turn runs.
"""

import asyncio
import concurrent.futures
import threading
from pathlib import Path
from typing import Any

from acp import PROTOCOL_VERSION, RequestError
from acp.interfaces import Client
from acp.schema import (
    AgentCapabilities,
    AuthenticateResponse,
    ClientCapabilities,
    CloseSessionResponse,
    FileSystemCapabilities,
    ForkSessionResponse,
    Implementation,
    InitializeResponse,
    ListSessionsResponse,
    LoadSessionResponse,
    McpCapabilities,
    NewSessionResponse,
    PromptCapabilities,
    PromptResponse,
    ResumeSessionResponse,
    SessionCapabilities,
    SessionInfo,
    SessionListCapabilities,
    SetSessionConfigOptionResponse,
    SetSessionModeResponse,
    StopReason,
)

from devcli import __version__
from devcli.acp.client_mcp import ClientMcpServer, with_client_servers
from devcli.acp.modes import approval_mode, mode_state
from devcli.acp.prompt_blocks import PromptBlock, PromptImage, read_prompt
from devcli.acp.session import AcpSession, SessionServices
from devcli.config import ConfigError, Settings, load_settings
from devcli.events import SessionFileError
from devcli.image_types import suffix_for
from devcli.llm.backend import Backend
from devcli.session_files import SessionNotFound, find_session, list_sessions, load_for_resume
from devcli.tools.image_store import keep_image

_SHUTDOWN_WAIT_SECONDS = 30.0


def _invalid(details: str) -> RequestError:
    return RequestError.invalid_params({"details": details})


class DevcliAcpAgent:
    """devcli on the agent side of the protocol. `overrides` are the command line's settings."""

    def __init__(self, backend: Backend, overrides: dict[str, Any]) -> None:
        self.backend = backend
        self.overrides = overrides
        self._client: Client | None = None
        self._client_fs = FileSystemCapabilities()
        self._sessions: dict[str, AcpSession] = {}
        self._turn_lock = threading.Lock()
        # Turns run here; a turn outlives its request if the connection drops mid-turn.
        self._workers = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="devcli-turn")
        self._turns: dict[str, concurrent.futures.Future[StopReason]] = {}

    def on_connect(self, conn: Client) -> None:
        self._client = conn

    # -- set-up ----------------------------------------------------------------------------

    async def initialize(
        self,
        protocol_version: int,
        client_capabilities: ClientCapabilities | None = None,
        client_info: Implementation | None = None,
        **kwargs: Any,
    ) -> InitializeResponse:
        if client_capabilities is not None and client_capabilities.fs is not None:
            self._client_fs = client_capabilities.fs
        return InitializeResponse(
            protocol_version=PROTOCOL_VERSION,
            agent_capabilities=AgentCapabilities(
                load_session=True,
                prompt_capabilities=PromptCapabilities(
                    image=self._services().images, audio=False, embedded_context=True
                ),
                # Stdio servers are part of every agent's contract; devcli also takes HTTP.
                mcp_capabilities=McpCapabilities(http=True, sse=False),
                session_capabilities=SessionCapabilities(list=SessionListCapabilities()),
            ),
            agent_info=Implementation(name="devcli", title="devcli", version=__version__),
        )

    async def authenticate(self, method_id: str, **kwargs: Any) -> AuthenticateResponse | None:
        return AuthenticateResponse()  # devcli announces no authentication methods

    # -- sessions --------------------------------------------------------------------------

    async def new_session(
        self,
        cwd: str,
        additional_directories: list[str] | None = None,
        mcp_servers: list[ClientMcpServer] | None = None,
        **kwargs: Any,
    ) -> NewSessionResponse:
        workspace = _workspace(cwd)
        settings = with_client_servers(self._settings(workspace), workspace, mcp_servers)
        session = await asyncio.to_thread(AcpSession, self._services(), workspace, settings)
        self._sessions[session.session_id] = session
        return NewSessionResponse(session_id=session.session_id, modes=mode_state(session.mode))

    async def load_session(
        self,
        cwd: str,
        session_id: str,
        mcp_servers: list[ClientMcpServer] | None = None,
        additional_directories: list[str] | None = None,
        **kwargs: Any,
    ) -> LoadSessionResponse | None:
        workspace = _workspace(cwd)
        settings = self._settings(workspace)
        try:
            info = find_session(workspace, session_id)
            if info.id != session_id:
                raise SessionNotFound(f"no saved session has the id {session_id!r}")
            resumed = load_for_resume(info.path)
        except (SessionNotFound, SessionFileError, OSError) as exc:
            raise _invalid(str(exc)) from exc
        open_one = self._sessions.pop(session_id, None)
        if open_one is not None:  # reopened from its file, as a restarted editor would
            if open_one.busy:
                self._sessions[session_id] = open_one
                raise _invalid("this session is working on a prompt; cancel it first")
            await asyncio.to_thread(open_one.close)
        settings = with_client_servers(settings, workspace, mcp_servers)
        session = await asyncio.to_thread(
            AcpSession, self._services(), workspace, settings, (info.path, resumed)
        )
        await asyncio.to_thread(session.replay_history)
        self._sessions[session.session_id] = session
        return LoadSessionResponse(modes=mode_state(session.mode))

    async def list_sessions(
        self, cwd: str | None = None, cursor: str | None = None, **kwargs: Any
    ) -> ListSessionsResponse:
        found = await asyncio.to_thread(list_sessions, _workspace(cwd) if cwd else None)
        return ListSessionsResponse(
            sessions=[
                SessionInfo(
                    session_id=info.id,
                    cwd=info.cwd,
                    title=info.task.strip().splitlines()[0][:100] if info.task.strip() else None,
                    updated_at=info.started,
                )
                for info in found
            ]
        )

    async def set_session_mode(
        self, session_id: str, mode_id: str, **kwargs: Any
    ) -> SetSessionModeResponse | None:
        self._session(session_id).set_mode(approval_mode(mode_id))
        return SetSessionModeResponse()

    # -- turns -----------------------------------------------------------------------------

    async def prompt(
        self, session_id: str, prompt: list[PromptBlock], **kwargs: Any
    ) -> PromptResponse:
        session = self._session(session_id)
        if session.busy:
            raise _invalid("this session is already working on a prompt")
        user_prompt = read_prompt(prompt)
        images = self._save_images(session, user_prompt.images)
        session.begin_turn()
        turn = self._workers.submit(session.run_turn, user_prompt, images)
        self._turns[session_id] = turn
        turn.add_done_callback(lambda done: self._forget_turn(session_id, done))
        return PromptResponse(stop_reason=await asyncio.wrap_future(turn))

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.cancel()

    async def close(self) -> None:
        """The client has gone: stop every turn as Ctrl-C would, then close the sessions."""
        for session in self._sessions.values():
            session.cancel()
        running = list(self._turns.values())
        if running:
            await asyncio.to_thread(concurrent.futures.wait, running, _SHUTDOWN_WAIT_SECONDS)
        for session in self._sessions.values():
            await asyncio.to_thread(session.close)
        self._sessions.clear()
        self._workers.shutdown(wait=False, cancel_futures=True)

    # -- what devcli does not offer --------------------------------------------------------

    async def set_config_option(
        self, config_id: str, session_id: str, value: str | bool, **kwargs: Any
    ) -> SetSessionConfigOptionResponse | None:
        raise RequestError.method_not_found("session/set_config_option")

    async def fork_session(
        self,
        session_id: str,
        cwd: str,
        additional_directories: list[str] | None = None,
        mcp_servers: list[ClientMcpServer] | None = None,
        **kwargs: Any,
    ) -> ForkSessionResponse:
        raise RequestError.method_not_found("session/fork")

    async def resume_session(
        self,
        session_id: str,
        cwd: str,
        additional_directories: list[str] | None = None,
        mcp_servers: list[ClientMcpServer] | None = None,
        **kwargs: Any,
    ) -> ResumeSessionResponse:
        raise RequestError.method_not_found("session/resume")

    async def close_session(self, session_id: str, **kwargs: Any) -> CloseSessionResponse | None:
        raise RequestError.method_not_found("session/close")

    async def ext_method(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise RequestError.method_not_found(f"_{method}")

    async def ext_notification(self, method: str, params: dict[str, Any]) -> None:
        return None

    # -- helpers ---------------------------------------------------------------------------

    def _services(self) -> SessionServices:
        if self._client is None:
            raise RuntimeError("the connection is not set up")
        return SessionServices(
            backend=self.backend,
            client=self._client,
            loop=asyncio.get_running_loop(),
            client_fs=self._client_fs,
            turn_lock=self._turn_lock,
        )

    def _forget_turn(self, session_id: str, turn: "concurrent.futures.Future[StopReason]") -> None:
        if self._turns.get(session_id) is turn:
            del self._turns[session_id]

    def _settings(self, workspace: Path) -> Settings:
        try:
            return load_settings(workspace, self.overrides)
        except ConfigError as exc:
            raise _invalid(str(exc)) from exc

    def _session(self, session_id: str) -> AcpSession:
        session = self._sessions.get(session_id)
        if session is None:
            raise _invalid(f"no open session has the id {session_id!r}")
        return session

    def _save_images(self, session: AcpSession, images: list[PromptImage]) -> list[Path]:
        """The prompt's images as files beside the session file (the event log names them)."""
        if not images:
            return []
        if not self._services().images:
            raise _invalid("this model takes no images")
        folder = session.image_folder()
        paths: list[Path] = []
        for image in images:
            suffix = suffix_for(image.mime_type)
            if suffix is None:
                raise _invalid(f"images of type {image.mime_type} are not taken")
            # Named by content: images of later messages never overwrite earlier ones.
            paths.append(keep_image(image.data, folder, suffix))
        return paths


def _workspace(cwd: str) -> Path:
    path = Path(cwd)
    if not path.is_absolute() or not path.is_dir():
        raise _invalid(f"the working directory {cwd!r} is not an absolute path to a folder")
    return path.resolve()
