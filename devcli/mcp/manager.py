"""The servers of one session: started together, called one call at a time, stopped together.

The SDK is async and devcli's loop is not, so the manager runs an event loop on one
background thread and its methods block until their work there is done. Notices (a server
that failed to start, one that was restarted) are handed to the caller's sink on the
caller's thread, never printed.
"""

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Coroutine
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from devcli.mcp.connection import (
    CLOSE_WITHIN_S,
    CallFailed,
    CallTimedOut,
    RemoteTool,
    ServerConnection,
    ServerLost,
    StartFailed,
)
from devcli.mcp.names import clean
from devcli.mcp.server_config import ServerConfig, Transport
from devcli.paths import data_dir

NoticeSink = Callable[[str], None]
T = TypeVar("T")

# The SDK logs through `logging`; unconfigured, its warnings would land on the terminal.
_SDK_LOGGERS = ("mcp", "client", "httpx2")
_START_GRACE_S = 10.0
MAX_RESTARTS = 1


class ServerState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    FAILED = "failed"  # did not start, or could not be restarted
    STOPPED = "stopped"  # crashed again after its restart; left stopped
    CLOSED = "closed"


class ServerStatus(BaseModel):
    name: str
    transport: Transport
    target: str
    state: ServerState
    detail: str = ""
    tools: list[str] = Field(default_factory=list)
    restarts: int = 0


class McpCallError(Exception):
    """A call that did not get an answer; the message is written for the model."""


def log_folder() -> Path:
    return data_dir() / "logs" / "mcp"


class _Server:
    def __init__(self, name: str, config: ServerConfig) -> None:
        self.name = name
        self.config = config
        self.connection: ServerConnection | None = None
        self.state = ServerState.STARTING
        self.detail = ""
        self.tools: list[RemoteTool] = []
        self.restarts = 0


class McpManager:
    def __init__(
        self,
        servers: dict[str, ServerConfig],
        workspace: Path,
        notices: NoticeSink,
        logs: Path | None = None,
    ) -> None:
        self.workspace = workspace
        self.notices = notices
        self.logs = logs or log_folder()
        self._servers = {name: _Server(name, config) for name, config in servers.items()}
        self._pending_notices: deque[str] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._log_handler: logging.Handler | None = None

    # -- the caller's side ---------------------------------------------------------------

    def start(self) -> dict[str, list[RemoteTool]]:
        """Start every server at once; those that came up, with their tools, in config order.
        Each that did not is reported to the notice sink in one line."""
        self._start_loop()
        longest = max((s.config.startup_timeout_s for s in self._servers.values()), default=0)
        self._run(self._start_all(), longest + CLOSE_WITHIN_S + _START_GRACE_S)
        return {
            name: server.tools
            for name, server in self._servers.items()
            if server.state is ServerState.RUNNING
        }

    def call(self, server: str, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        """The server's answer; McpCallError when there is none (timeout, crash, error)."""
        entry = self._servers[server]
        bound = entry.config.tool_timeout_s + entry.config.startup_timeout_s + 2 * CLOSE_WITHIN_S
        return self._run(self._call(entry, tool, arguments), bound)

    def statuses(self) -> list[ServerStatus]:
        return [
            ServerStatus(
                name=s.name,
                transport=s.config.transport,
                target=s.config.target(),
                state=s.state,
                detail=s.detail,
                tools=[t.name for t in s.tools],
                restarts=s.restarts,
            )
            for s in self._servers.values()
        ]

    def close(self) -> None:
        """Stop every server (no process is left behind) and the loop's thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        # Bounded: each connection gives up on a server that will not stop.
        with contextlib.suppress(McpCallError):
            self._run(self._close_all(), CLOSE_WITHIN_S + _START_GRACE_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=CLOSE_WITHIN_S)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = None
        self._detach_logs()

    # -- plumbing ------------------------------------------------------------------------

    def _start_loop(self) -> None:
        if self._loop is not None:
            return
        self._attach_logs()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="devcli-mcp", daemon=True
        )
        self._thread.start()

    def _run(self, work: Coroutine[Any, Any, T], timeout: float) -> T:
        assert self._loop is not None, "the manager was not started"
        future = asyncio.run_coroutine_threadsafe(work, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise McpCallError("devcli stopped waiting for the MCP servers") from exc
        except KeyboardInterrupt:
            future.cancel()  # Ctrl-C: the call is abandoned, the server told so by the SDK
            raise
        finally:
            self._flush_notices()

    def _flush_notices(self) -> None:
        while self._pending_notices:
            self.notices(self._pending_notices.popleft())

    def _attach_logs(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(self.logs / "devcli-client.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        for name in _SDK_LOGGERS:
            logger = logging.getLogger(name)
            logger.addHandler(handler)
            logger.propagate = False
        self._log_handler = handler

    def _detach_logs(self) -> None:
        if self._log_handler is None:
            return
        for name in _SDK_LOGGERS:
            logging.getLogger(name).removeHandler(self._log_handler)
            logging.getLogger(name).propagate = True
        self._log_handler.close()
        self._log_handler = None

    # -- on the loop's thread ------------------------------------------------------------

    async def _start_all(self) -> None:
        servers = list(self._servers.values())
        started = await asyncio.gather(*(self._start(server) for server in servers))
        for server, ok in zip(servers, started, strict=True):
            if not ok:
                self._pending_notices.append(
                    f"MCP server `{server.name}` did not start ({server.detail}); its tools "
                    "are left out"
                )

    async def _start(self, server: _Server) -> bool:
        log_file = self.logs / f"{clean(server.name)}.log"
        connection = ServerConnection(server.name, server.config, self.workspace, log_file)
        server.state = ServerState.STARTING
        try:
            server.tools = await connection.open()
        except StartFailed as exc:
            server.state = ServerState.FAILED
            server.detail = str(exc)
            server.connection = None
            return False
        server.connection = connection
        server.state = ServerState.RUNNING
        server.detail = ""
        return True

    async def _call(self, server: _Server, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        name = server.name
        if server.connection is None or server.state is not ServerState.RUNNING:
            raise McpCallError(
                f"The MCP server `{name}` is not running ({server.detail or server.state}), so "
                f"`{tool}` cannot be called in this session."
            )
        try:
            return await server.connection.call(tool, arguments)
        except CallTimedOut as exc:
            raise McpCallError(
                f"The MCP server `{name}` gave no answer to `{tool}` ({exc}); devcli stopped "
                "waiting and cancelled the call. Try smaller work, or another way."
            ) from exc
        except CallFailed as exc:
            raise McpCallError(f"The MCP server `{name}` refused the call: {exc}") from exc
        except ServerLost as exc:
            lost = f"The MCP server `{name}` stopped while running `{tool}` ({exc})"
            raise McpCallError(lost + await self._after_loss(server, str(exc))) from exc

    async def _after_loss(self, server: _Server, reason: str) -> str:
        """Restart a server once; the end of the model's message says what happened."""
        if server.connection is not None:
            await server.connection.close()
            server.connection = None
        if server.restarts >= MAX_RESTARTS:
            server.state = ServerState.STOPPED
            server.detail = f"stopped again after a restart: {reason}"
            self._pending_notices.append(f"MCP server `{server.name}` stopped again ({reason})")
            return (
                ". It had already been restarted once, so its tools cannot be used for the "
                "rest of this session."
            )
        server.restarts += 1
        if not await self._start(server):
            self._pending_notices.append(
                f"MCP server `{server.name}` stopped ({reason}) and did not restart "
                f"({server.detail})"
            )
            return f". Restarting it failed: {server.detail}."
        self._pending_notices.append(f"MCP server `{server.name}` stopped ({reason}); restarted it")
        return (
            ". devcli restarted the server, so its tools can be called again; this call was not "
            "repeated."
        )

    async def _close_all(self) -> None:
        connections = [s.connection for s in self._servers.values() if s.connection is not None]
        await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)
        for server in self._servers.values():
            server.connection = None
            if server.state in (ServerState.RUNNING, ServerState.STARTING):
                server.state = ServerState.CLOSED
        # Whatever the SDK still runs (a transport's reader) ends here, not at interpreter exit.
        current = asyncio.current_task()
        leftovers = [t for t in asyncio.all_tasks() if t is not current]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
