"""A small OpenAI-compatible HTTP server on loopback that fails on purpose.

Only for faults a real server will not produce on demand: rate limits with Retry-After, 5xx,
connections reset mid-stream, malformed SSE lines, tool-call deltas split at every byte, calls
written into `content`. Each chat request takes the next scripted reply; every request is kept
so tests can check what the client sent.
"""

import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Status:
    """A plain HTTP answer, usually an error."""

    code: int
    body: Any = field(default_factory=lambda: {"error": {"message": "scripted failure"}})
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stream:
    """An SSE answer. `lines` are sent as written (without the blank line that ends each event);
    `reset_after` resets the connection after that many lines; `bytewise` writes every byte of
    the body as its own piece."""

    lines: list[str]
    done: bool = True
    reset_after: int | None = None
    bytewise: bool = False


@dataclass
class Whole:
    """A non-streamed chat completion."""

    body: dict[str, Any]


Reply = Status | Stream | Whole


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


# -- building answers -------------------------------------------------------------------


def chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fault-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        **extra,
    }


def data(payload: dict[str, Any]) -> str:
    return "data: " + json.dumps(payload)


def text_reply(text: str, pieces: int = 3, usage: tuple[int, int] | None = (11, 7)) -> Stream:
    """A streamed plain answer in `pieces` parts, then a finish and a usage chunk."""
    size = max(1, -(-len(text) // pieces))
    lines = [data(chunk({"role": "assistant", "content": ""}))]
    lines += [data(chunk({"content": text[i : i + size]})) for i in range(0, len(text), size)]
    lines.append(data(chunk({}, "stop")))
    if usage is not None:
        lines.append(data(usage_chunk(*usage)))
    return Stream(lines)


def usage_chunk(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fault-model",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def call_reply(
    calls: list[tuple[str, str, str]], interleave: bool = False, piece: int = 1
) -> Stream:
    """Streamed tool calls `(id, name, arguments text)`, the arguments cut into `piece`-character
    deltas; with `interleave`, the calls' deltas alternate by index."""
    heads = [
        [chunk({"tool_calls": [_call_delta(i, call_id, name, "")]})]
        for i, (call_id, name, _) in enumerate(calls)
    ]
    tails = [
        [
            chunk({"tool_calls": [{"index": i, "function": {"arguments": args[s : s + piece]}}]})
            for s in range(0, len(args), piece)
        ]
        for i, (_, _, args) in enumerate(calls)
    ]
    ordered: list[dict[str, Any]] = [chunk({"role": "assistant", "content": None})]
    if interleave:
        ordered += [h for group in heads for h in group]
        longest = max(len(t) for t in tails)
        for step in range(longest):
            ordered += [tail[step] for tail in tails if step < len(tail)]
    else:
        for head, tail in zip(heads, tails, strict=True):
            ordered += head + tail
    ordered.append(chunk({}, "tool_calls"))
    ordered.append(usage_chunk(20, 9))
    return Stream([data(item) for item in ordered])


def _call_delta(index: int, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {
        "index": index,
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def finish_call_reply(message: str = "done", completed: str = "true") -> Stream:
    args = json.dumps({"message": message, "task_completed": completed})
    return call_reply([("call_finish_1", "finish", args)], piece=7)


# -- the server -------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self.server.owner.record(Request("GET", self.path, dict(self.headers), None))
        if ("GET", self.path) in self.server.owner.routes:
            self._send(self.server.owner.routes["GET", self.path])
        elif self.path.rstrip("/").endswith("/models"):
            reply = self.server.owner.models_reply()
            self._send(reply)
        else:
            self._send(Status(404, {"error": {"message": f"no route {self.path}"}}))

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        self.server.owner.record(Request("POST", self.path, dict(self.headers), body))
        if ("POST", self.path) in self.server.owner.routes:
            self._send(self.server.owner.routes["POST", self.path])
        elif self.path.rstrip("/").endswith("/chat/completions"):
            self._send(self.server.owner.next_reply())
        else:
            self._send(Status(404, {"error": {"message": f"no route {self.path}"}}))

    def _send(self, reply: Reply) -> None:
        if isinstance(reply, Stream):
            self._stream(reply)
            return
        payload = reply.body
        encoded = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(200 if isinstance(reply, Whole) else reply.code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(encoded)))
        for key, value in (reply.headers if isinstance(reply, Status) else {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(encoded)

    def _stream(self, reply: Stream) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines = list(reply.lines) + (["data: [DONE]"] if reply.done else [])
        for number, line in enumerate(lines):
            if reply.reset_after is not None and number >= reply.reset_after:
                self._reset()
                return
            event = (line + "\n\n").encode()
            pieces = [event[i : i + 1] for i in range(len(event))] if reply.bytewise else [event]
            for piece in pieces:
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _reset(self) -> None:
        """Abort the connection with a TCP reset, in the middle of the body."""
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: "FaultServer"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets are on purpose


class FaultServer:
    def __init__(self, models: Iterable[str | dict[str, Any]] = ("fault-model",)) -> None:
        self.models: list[str | dict[str, Any]] = list(models)  # names, or whole entries
        self.models_status: Status | None = None  # answer /models with this instead
        # Fixed answers by (method, path): the metadata endpoints of servers that cannot run
        # here (llama-server's /props, Ollama's /api/show).
        self.routes: dict[tuple[str, str], Reply] = {}
        self.fallback: Reply = Status(500, {"error": {"message": "no scripted reply left"}})
        self.requests: list[Request] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def next_reply(self) -> Reply:
        with self._lock:
            return self._replies.popleft() if self._replies else self.fallback

    def models_reply(self) -> Reply:
        if self.models_status is not None:
            return self.models_status
        listed = [
            {"id": entry, "object": "model", "owned_by": "tests"}
            if isinstance(entry, str)
            else entry
            for entry in self.models
        ]
        return Whole({"object": "list", "data": listed})

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    @property
    def chat_requests(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> "FaultServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def running_fault_server(
    models: Iterable[str | dict[str, Any]] = ("fault-model",),
) -> Iterator[FaultServer]:
    server = FaultServer(models).start()
    try:
        yield server
    finally:
        server.stop()
