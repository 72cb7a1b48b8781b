"""The context window a server really runs a model with, where its own API tells.

`/v1/models` gives it only on some servers (vLLM, LM Studio). llama-server reports its loaded
`n_ctx` at `/props`; Ollama reports the trained length and any `num_ctx` at `/api/show`, and
otherwise cuts prompts to its default window without a word, so devcli warns about it.
"""

import json
import urllib.error
import urllib.request
from typing import Any

from pydantic import BaseModel

# Ollama's default window when no num_ctx is set (recent releases; older ones used 2048).
OLLAMA_DEFAULT_WINDOW = 4096


class ServerWindow(BaseModel):
    window: int | None = None
    warning: str | None = None


def _root(base_url: str) -> str:
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def _fetch(
    url: str, headers: dict[str, str], timeout: float, body: dict[str, Any] | None = None
) -> Any:
    """The JSON answer of a GET (or a POST of `body`); None for any other status."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, headers={**headers, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError:
        return None


def _llama_server(root: str, headers: dict[str, str], timeout: float) -> int | None:
    data = _fetch(f"{root}/props", headers, timeout)
    settings = data.get("default_generation_settings") if isinstance(data, dict) else None
    nested = settings.get("n_ctx") if isinstance(settings, dict) else None
    return _positive(nested) or _positive(data.get("n_ctx") if isinstance(data, dict) else None)


def _ollama(root: str, model: str, headers: dict[str, str], timeout: float) -> ServerWindow | None:
    data = _fetch(f"{root}/api/show", headers, timeout, body={"model": model})
    if not isinstance(data, dict):
        return None
    info = data.get("model_info") or {}
    trained = next((_positive(v) for k, v in info.items() if k.endswith(".context_length")), None)
    for line in str(data.get("parameters") or "").splitlines():
        name, _, value = line.partition(" ")
        if name == "num_ctx" and value.strip().isdigit():
            return ServerWindow(window=int(value.strip()))
    window = min(trained or OLLAMA_DEFAULT_WINDOW, OLLAMA_DEFAULT_WINDOW)
    return ServerWindow(
        window=window,
        warning=(
            f"Ollama runs {model} with its default context window (about {window} tokens) "
            f"unless num_ctx is raised, and silently cuts longer prompts"
            + (f"; the model was trained for {trained}" if trained else "")
            + ". devcli budgets for that window; raise it with OLLAMA_CONTEXT_LENGTH on the "
            "server or `PARAMETER num_ctx` in a Modelfile, then pass --ctx-size."
        ),
    )


def probe_window(
    base_url: str, model: str, api_key: str | None = None, timeout: float = 3.0
) -> ServerWindow:
    """Best effort: a server that answers neither question yields an empty result."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    root = _root(base_url)
    try:
        window = _llama_server(root, headers, timeout)
        if window is not None:
            return ServerWindow(window=window)
        return _ollama(root, model, headers, timeout) or ServerWindow()
    except (OSError, ValueError):  # unreachable, timed out, or not JSON
        return ServerWindow()
