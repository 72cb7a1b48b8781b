"""A Hugging Face hub of the tests' own on loopback: it serves files from a folder the way
the hub's resolve endpoint does, so downloads run for real without the network."""

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@contextmanager
def fake_hub(files: dict[str, Path], claimed_sizes: dict[str, int] | None = None) -> Iterator[str]:
    """Serve `files` ({"owner/repo/name.gguf": path}); `claimed_sizes` makes the hub announce
    another size for a file (a download too big for the disk). Yields the endpoint URL."""
    claimed = claimed_sizes or {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def _target(self) -> tuple[str, Path] | None:
            path = self.path.split("?", 1)[0].lstrip("/")
            if "/resolve/" not in path:
                return None
            repo, _, rest = path.partition("/resolve/")
            name = rest.split("/", 1)[1] if "/" in rest else rest
            key = f"{repo}/{name}"
            return (key, files[key]) if key in files else None

        def _headers(self, key: str, source: Path) -> None:
            size = claimed.get(key, source.stat().st_size)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", '"' + hashlib.sha1(key.encode()).hexdigest() + '"')
            self.send_header("Content-Length", str(size))
            self.send_header("Accept-Ranges", "bytes")

        def do_HEAD(self) -> None:
            if self.path.startswith("/api/"):
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            found = self._target()
            if found is None:
                self.send_error(404)
                return
            self.send_response(200)
            self._headers(*found)
            self.end_headers()

        def do_GET(self) -> None:
            found = self._target()
            if found is None:
                self.send_error(404)
                return
            key, source = found
            data = source.read_bytes()
            start = 0
            wanted = self.headers.get("Range", "")
            if wanted.startswith("bytes="):
                start = int(wanted[6:].split("-", 1)[0] or 0)
                self.send_response(206)
            else:
                self.send_response(200)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", '"' + hashlib.sha1(key.encode()).hexdigest() + '"')
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            view = memoryview(data)[start:]
            for offset in range(0, len(view), 1 << 20):
                self.wfile.write(view[offset : offset + (1 << 20)])

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
