"""A pass-through HTTP proxy on loopback that keeps every request it forwards.

It stands between devcli and a real server (llama_cpp.server) so a test can read exactly what
devcli sent; answers, streamed ones included, go back unchanged.
"""

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_HOP_BY_HOP = {"connection", "transfer-encoding", "keep-alive", "content-length"}


@dataclass
class Recorded:
    method: str
    path: str
    body: Any


@dataclass
class Proxy:
    url: str  # ends in /v1 when the upstream's does
    requests: list[Recorded] = field(default_factory=list)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]


@contextmanager
def recording_proxy(upstream: str) -> Iterator[Proxy]:
    """`upstream` is a base URL such as http://127.0.0.1:8000/v1."""
    origin, _, prefix = upstream.partition("//")[2].partition("/")
    recorded: list[Recorded] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._forward(None)

        def do_POST(self) -> None:
            self._forward(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

        def _forward(self, body: bytes | None) -> None:
            recorded.append(Recorded(self.command, self.path, json.loads(body) if body else None))
            request = urllib.request.Request(
                f"http://{origin}{self.path}",
                data=body,
                method=self.command,
                headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
            )
            try:
                answer = urllib.request.urlopen(request, timeout=600)
            except urllib.error.HTTPError as error:
                answer = error
            with answer:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Connection", "close")
                self.end_headers()
                while chunk := answer.readline():  # SSE lines go on as they come
                    self.wfile.write(chunk)
                    self.wfile.flush()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Proxy(url=f"http://127.0.0.1:{server.server_port}/{prefix}", requests=recorded)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
