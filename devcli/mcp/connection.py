"""One live connection to one server, on the manager's event loop.

The SDK's transports and session are async context managers whose task groups must be
entered and left by the same task, so one task (`_hold`) opens them, reports the server's
tools, and keeps them open until asked to close; calls are made from other tasks.
"""

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TextIO

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import CONNECTION_CLOSED, REQUEST_TIMEOUT, CallToolResult, Implementation
from pydantic import BaseModel, Field

from devcli import __version__
from devcli.mcp.server_config import ServerConfig, Transport

CLIENT_INFO = Implementation(name="devcli", version=__version__)
# Beyond the tool timeout, how long to wait for the SDK's own timeout to fire.
_TIMEOUT_MARGIN_S = 5.0
# Stopping a stdio server takes at most about 4.5 s in the SDK (stdin closed, TERM, KILL).
CLOSE_WITHIN_S = 10.0
_MAX_TOOL_PAGES = 50


class RemoteTool(BaseModel):
    """A tool as the server lists it."""

    name: str
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=dict)


class StartFailed(Exception):
    """The server did not come up; the message says why, in one line."""


class ServerLost(Exception):
    """The connection ended under a call: the process exited or the server went away."""


class CallTimedOut(Exception):
    """The server did not answer within the tool timeout."""


class CallFailed(Exception):
    """The server answered the call with a protocol error."""


class ServerConnection:
    def __init__(self, name: str, config: ServerConfig, workspace: Path, log_file: Path) -> None:
        self.name = name
        self.config = config
        self.workspace = workspace
        self.log_file = log_file
        self.lost_reason = ""
        self._session: ClientSession | None = None
        self._closing = asyncio.Event()
        self._scope: anyio.CancelScope | None = None
        self._holder: asyncio.Task[None] | None = None
        self._log: TextIO | None = None

    @property
    def connected(self) -> bool:
        return self._session is not None

    async def open(self) -> list[RemoteTool]:
        """Start (or connect to) the server and list its tools, within the startup timeout."""
        ready: asyncio.Future[list[RemoteTool]] = asyncio.get_running_loop().create_future()
        self._holder = asyncio.create_task(self._hold(ready), name=f"mcp-{self.name}")
        timeout = self.config.startup_timeout_s
        try:
            return await asyncio.wait_for(asyncio.shield(ready), timeout)
        except TimeoutError as exc:
            await self.close()
            if ready.done() and not ready.cancelled():
                ready.exception()  # retrieved: the timeout is the failure to report
            raise StartFailed(f"no answer within {timeout:g} s{self._said()}") from exc

    async def call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        session = self._session
        if session is None:
            raise ServerLost(self.lost_reason or "the connection is closed")
        timeout = self.config.tool_timeout_s
        try:
            return await asyncio.wait_for(
                session.call_tool(tool, arguments, read_timeout_seconds=timeout),
                timeout + _TIMEOUT_MARGIN_S,
            )
        except TimeoutError as exc:
            raise CallTimedOut(f"no answer within {timeout:g} s") from exc
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                raise CallTimedOut(f"no answer within {timeout:g} s") from exc
            if exc.code == CONNECTION_CLOSED or self._session is None:
                raise ServerLost(self._lost_description(exc)) from exc
            raise CallFailed(exc.message or f"error {exc.code}") from exc
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError) as exc:
            raise ServerLost(self._lost_description(exc)) from exc
        except Exception as exc:  # the SDK's checks of a malformed answer, among others
            raise CallFailed(str(exc) or type(exc).__name__) from exc

    async def close(self) -> None:
        """Leave the session and stop the server; bounded, and safe to call twice."""
        self._closing.set()
        if self._session is None and self._scope is not None:
            self._scope.cancel()  # still starting: stop waiting for it
        if self._holder is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._holder), CLOSE_WITHIN_S)
            except TimeoutError:
                self._holder.cancel()
        if self._log is not None:
            self._log.close()
            self._log = None

    async def _hold(self, ready: "asyncio.Future[list[RemoteTool]]") -> None:
        try:
            with anyio.CancelScope() as self._scope:
                async with AsyncExitStack() as stack:
                    read, write = await self._open_transport(stack)
                    session = await stack.enter_async_context(
                        ClientSession(read, write, client_info=CLIENT_INFO)
                    )
                    await session.initialize()
                    tools = await _list_tools(session)
                    self._session = session
                    ready.set_result(tools)
                    await self._closing.wait()
                    self._session = None
        except Exception as exc:  # whatever ends the connection is reported, never raised
            self.lost_reason = describe_failure(exc, self.config) + self._said()
            if not ready.done():
                ready.set_exception(StartFailed(self.lost_reason))
        finally:
            self._session = None
            if not ready.done():
                ready.set_exception(StartFailed("stopped before it was ready"))

    async def _open_transport(self, stack: AsyncExitStack) -> Any:
        config = self.config
        if config.transport is Transport.STDIO:
            assert config.command is not None
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_file.open("a", encoding="utf-8")
            parameters = StdioServerParameters(
                command=config.command,
                args=config.args,
                env=config.resolved_env() or None,
                cwd=config.working_folder(self.workspace),
            )
            return await stack.enter_async_context(stdio_client(parameters, errlog=self._log))
        assert config.url is not None
        client = await stack.enter_async_context(
            create_mcp_http_client(headers=config.resolved_headers() or None)
        )
        return await stack.enter_async_context(
            streamable_http_client(config.url, http_client=client)
        )

    def _lost_description(self, exc: BaseException) -> str:
        if self.config.transport is Transport.STDIO:
            return "the server process exited" + self._said()
        return f"the connection to {self.config.url} was lost ({_first_line(exc)})"

    def _said(self) -> str:
        """The last line the server wrote to its error output, when it wrote one."""
        if self.config.transport is not Transport.STDIO:
            return ""
        if self._log is not None:
            self._log.flush()
        try:
            lines = self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        last = next((line.strip() for line in reversed(lines) if line.strip()), "")
        return f"; it said: {last[:200]}" if last else ""


async def _list_tools(session: ClientSession) -> list[RemoteTool]:
    tools: list[RemoteTool] = []
    cursor: str | None = None
    for _ in range(_MAX_TOOL_PAGES):
        if cursor is None:
            page = await session.list_tools()
        else:
            from mcp.types import PaginatedRequestParams

            page = await session.list_tools(params=PaginatedRequestParams(cursor=cursor))
        for tool in page.tools:
            tools.append(
                RemoteTool(
                    name=tool.name,
                    description=tool.description or tool.title or "",
                    input_schema=tool.input_schema,
                )
            )
        cursor = page.next_cursor
        if cursor is None:
            break
    return tools


def describe_failure(exc: BaseException, config: ServerConfig) -> str:
    """One line for whatever stopped a connection: the innermost cause that says something."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, FileNotFoundError) and config.command is not None:
        return f"cannot run `{config.command}`: no such program"
    if isinstance(exc, PermissionError) and config.command is not None:
        return f"cannot run `{config.command}`: permission denied"
    if isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED:
        if config.transport is Transport.STDIO:
            return "the server process exited"
        return f"{config.url} closed the connection"
    if isinstance(exc, MCPError):
        return f"the server answered: {exc.message}"
    if config.url is not None:
        return f"{config.url}: {_first_line(exc)}"
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
