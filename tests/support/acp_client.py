"""A real ACP client (the SDK's client side) driving `devcli acp` over stdio, as an editor does.

It records every session update and permission request in arrival order, answers permission
requests from a script of option kinds, and serves `fs/read_text_file` / `fs/write_text_file`
from the disk, noting each, as an editor with open buffers would.
"""

import os
import sys
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acp import (
    PROTOCOL_VERSION,
    ReadTextFileResponse,
    RequestPermissionResponse,
    WriteTextFileResponse,
    spawn_agent_process,
)
from acp.client.connection import ClientSideConnection
from acp.schema import (
    AllowedOutcome,
    ClientCapabilities,
    DeniedOutcome,
    FileSystemCapabilities,
    InitializeResponse,
    PermissionOption,
    ToolCallUpdate,
)


@dataclass
class PermissionAsked:
    tool_call: ToolCallUpdate
    options: list[PermissionOption]
    answer: str  # the option kind chosen, or "cancelled"


@dataclass
class RecordingClient:
    """`answers` are option kinds (allow_once, allow_always, reject_once), used in order."""

    answers: deque[str] = field(default_factory=deque)
    log: list[Any] = field(default_factory=list)  # session updates and PermissionAsked
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    # Runs before each answer, as a person acting while a question is open (e.g. cancelling).
    while_asked: Callable[[str], Awaitable[None]] | None = None

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        self.log.append(update)

    async def request_permission(
        self,
        session_id: str,
        tool_call: ToolCallUpdate,
        options: list[PermissionOption],
        **kwargs: Any,
    ) -> RequestPermissionResponse:
        if self.while_asked is not None:
            await self.while_asked(session_id)
        kind = self.answers.popleft() if self.answers else "cancelled"
        self.log.append(PermissionAsked(tool_call, options, kind))
        chosen = next((option for option in options if option.kind == kind), None)
        if chosen is None:
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        return RequestPermissionResponse(
            outcome=AllowedOutcome(outcome="selected", option_id=chosen.option_id)
        )

    async def read_text_file(
        self,
        session_id: str,
        path: str,
        line: int | None = None,
        limit: int | None = None,
        **kwargs: Any,
    ) -> ReadTextFileResponse:
        self.reads.append(path)
        return ReadTextFileResponse(content=Path(path).read_text(encoding="utf-8"))

    async def write_text_file(
        self, session_id: str, path: str, content: str, **kwargs: Any
    ) -> WriteTextFileResponse:
        self.writes.append(path)
        Path(path).write_text(content, encoding="utf-8")
        return WriteTextFileResponse()

    def on_connect(self, conn: Any) -> None:
        pass

    def updates(self) -> list[Any]:
        return [entry for entry in self.log if not isinstance(entry, PermissionAsked)]

    def permissions(self) -> list[PermissionAsked]:
        return [entry for entry in self.log if isinstance(entry, PermissionAsked)]


@dataclass
class AcpAgentProcess:
    conn: ClientSideConnection
    pid: int
    init: InitializeResponse


@asynccontextmanager
async def devcli_acp(
    client: RecordingClient, args: Iterable[str], cwd: Path, fs: bool = True
) -> AsyncIterator[AcpAgentProcess]:
    """`devcli acp ARGS` as a child process, initialized; the test's environment is passed on."""
    async with spawn_agent_process(
        client,
        sys.executable,
        "-m",
        "devcli",
        "acp",
        *args,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        transport_kwargs={"stderr": None},
    ) as (conn, process):
        capabilities = ClientCapabilities(
            fs=FileSystemCapabilities(read_text_file=fs, write_text_file=fs)
        )
        init = await conn.initialize(
            protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities
        )
        yield AcpAgentProcess(conn=conn, pid=process.pid, init=init)
