"""Calls from the agent's worker thread to the client, answered on the server's event loop.

The agent loop is synchronous and runs in a worker thread; the connection lives on an asyncio
loop. Each call here schedules the request on that loop and waits for its answer, so updates
reach the client in the order the loop produced them and the loop pauses while a person
decides. A cancelled turn stops waiting for a person at once.
"""

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from acp.interfaces import Client
from acp.schema import PermissionOption, RequestPermissionResponse, ToolCallUpdate

from devcli.acp.updates import SessionUpdate
from devcli.llm.backend import TurnCancelled

T = TypeVar("T")

_POLL_SECONDS = 0.1


class ClientGone(RuntimeError):
    """The connection to the client closed while the agent was working."""


class ClientChannel:
    """One session's line to the client. `bind` names the session once it is open."""

    def __init__(self, client: Client, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop
        self.session_id = ""
        self.cancel = threading.Event()

    def bind(self, session_id: str, cancel: threading.Event) -> None:
        self.session_id = session_id
        self.cancel = cancel

    def notify(self, update: SessionUpdate) -> None:
        """Send a session update; dropped when the client has gone."""
        with contextlib.suppress(ClientGone):
            self._wait(self._client.session_update(session_id=self.session_id, update=update))

    def request_permission(
        self, tool_call: ToolCallUpdate, options: list[PermissionOption]
    ) -> RequestPermissionResponse:
        """The person's choice; TurnCancelled when the turn is cancelled while they decide."""
        request = self._client.request_permission(
            session_id=self.session_id, tool_call=tool_call, options=options
        )
        try:
            return self._wait(request, cancellable=True)
        except ClientGone as exc:
            raise TurnCancelled from exc

    def read_text_file(self, path: Path) -> str:
        response = self._wait(
            self._client.read_text_file(session_id=self.session_id, path=str(path))
        )
        return response.content

    def write_text_file(self, path: Path, content: str) -> None:
        write = self._client.write_text_file(
            session_id=self.session_id, path=str(path), content=content
        )
        self._wait(write)

    def _wait(self, call: Coroutine[Any, Any, T], cancellable: bool = False) -> T:
        future = asyncio.run_coroutine_threadsafe(call, self._loop)
        while True:
            try:
                return future.result(timeout=_POLL_SECONDS if cancellable else None)
            except concurrent.futures.TimeoutError:
                if self.cancel.is_set():
                    future.cancel()
                    raise TurnCancelled from None
            except (concurrent.futures.CancelledError, ConnectionError) as exc:
                raise ClientGone("the client closed the connection") from exc
