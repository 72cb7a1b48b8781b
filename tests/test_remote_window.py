"""The context window of a remote model: from the server's metadata, else settings or table."""

from collections.abc import Iterator

import pytest

from devcli.agent.budget import context_window
from devcli.config import Settings
from devcli.llm.remote import build_remote_backend
from tests.support.fault_server import FaultServer, Whole, running_fault_server


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running_fault_server() as running:
        yield running


def test_vllm_style_model_list_gives_the_window(server: FaultServer) -> None:
    server.models = [{"id": "devstral", "object": "model", "max_model_len": 65536}]
    backend = build_remote_backend(Settings(endpoint=server.url), {})
    assert context_window(backend, None) == 65536
    assert not any(r.path in ("/props", "/api/show") for r in server.requests)
    backend.close()


def test_llama_server_props_give_the_loaded_window(server: FaultServer) -> None:
    server.routes["GET", "/props"] = Whole({"default_generation_settings": {"n_ctx": 8192}})
    backend = build_remote_backend(Settings(endpoint=server.url), {})
    assert backend.context_window == 8192
    assert context_window(backend, None) == 8192
    assert context_window(backend, 4096) == 4096  # --ctx-size can only narrow it
    backend.close()


def test_ollama_default_window_is_assumed_and_warned_about(
    server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.routes["POST", "/api/show"] = Whole(
        {"model_info": {"llama.context_length": 131072}, "parameters": "stop [INST]"}
    )
    backend = build_remote_backend(Settings(endpoint=server.url), {})
    assert backend.context_window == 4096
    warning = capsys.readouterr().err
    assert "silently cuts longer prompts" in warning and "131072" in warning
    show = next(r for r in server.requests if r.path == "/api/show")
    assert show.body == {"model": "fault-model"}
    backend.close()


def test_ollama_num_ctx_is_the_window(
    server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.routes["POST", "/api/show"] = Whole(
        {"model_info": {"llama.context_length": 131072}, "parameters": "num_ctx 32768"}
    )
    backend = build_remote_backend(Settings(endpoint=server.url), {})
    assert backend.context_window == 32768
    assert "silently" not in capsys.readouterr().err
    backend.close()


def test_no_metadata_falls_back_to_the_model_table(server: FaultServer) -> None:
    server.models = ["mistral-small-24b-instruct-2501"]
    backend = build_remote_backend(Settings(endpoint=server.url), {})
    assert backend.context_window is None
    assert context_window(backend, None) == 32768
    assert context_window(backend, 16000) == 16000
    backend.close()
