"""Where the remote model lives: providers, --endpoint, OPENAI_* variables, model choice."""

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from devcli.config import ConfigError, Settings
from devcli.llm.factory import make_backend
from devcli.llm.providers import NO_KEY, PROVIDERS, resolve_endpoint, wants_remote
from devcli.llm.remote import RemoteBackend, build_remote_backend
from devcli.llm.server_info import ModelChoiceError, choose_model
from tests.support.fault_server import FaultServer, Status, running_fault_server


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running_fault_server() as running:
        yield running


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("vllm", "http://127.0.0.1:8000/v1"),
        ("llamacpp", "http://127.0.0.1:8080/v1"),
        ("ollama", "http://127.0.0.1:11434/v1"),
        ("lmstudio", "http://127.0.0.1:1234/v1"),
    ],
)
def test_local_server_providers(name: str, url: str) -> None:
    endpoint = resolve_endpoint(Settings(provider=name), {})
    assert (endpoint.base_url, endpoint.api_key, endpoint.model) == (url, NO_KEY, None)
    assert endpoint.lenient


def test_mistral_needs_a_key_and_names_where_to_put_it() -> None:
    with pytest.raises(ConfigError, match="MISTRAL_API_KEY"):
        resolve_endpoint(Settings(provider="mistral"), {})
    endpoint = resolve_endpoint(Settings(provider="Mistral"), {"MISTRAL_API_KEY": "sekrit"})
    assert endpoint.base_url == "https://api.mistral.ai/v1"
    assert (endpoint.api_key, endpoint.model, endpoint.lenient) == (
        "sekrit",
        "devstral-small-2507",
        False,
    )
    flagged = resolve_endpoint(
        Settings(provider="mistral", api_key="flag", model="mistral-small-2603"),
        {"MISTRAL_API_KEY": "env"},
    )
    assert (flagged.api_key, flagged.model) == ("flag", "mistral-small-2603")


def test_openai_variables_are_honoured_and_flags_win() -> None:
    environ = {"OPENAI_BASE_URL": "http://gpu-box:9000/v1/", "OPENAI_API_KEY": "k1"}
    endpoint = resolve_endpoint(Settings(), environ)
    assert (endpoint.base_url, endpoint.api_key) == ("http://gpu-box:9000/v1", "k1")
    flagged = resolve_endpoint(Settings(endpoint="http://other:8000", api_key="k2"), environ)
    assert (flagged.base_url, flagged.api_key) == ("http://other:8000/v1", "k2")


@pytest.mark.parametrize("bad", ["gpu-box:8000", "ftp://host/v1", "http://", "http://h:99999/v1"])
def test_a_bad_endpoint_is_a_configuration_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="--endpoint"):
        resolve_endpoint(Settings(endpoint=bad), {})


def test_an_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as raised:
        resolve_endpoint(Settings(provider="openrouterx"), {})
    for name in PROVIDERS:
        assert name in str(raised.value)


def test_when_a_remote_backend_is_meant() -> None:
    assert wants_remote(Settings(endpoint="http://h:1/v1"), {})
    assert wants_remote(Settings(provider="ollama"), {})
    assert wants_remote(Settings(), {"OPENAI_BASE_URL": "http://h/v1"})
    assert not wants_remote(Settings(model="/models/devstral.gguf"), {"OPENAI_BASE_URL": "x"})
    assert not wants_remote(Settings(), {})


def test_the_factory_builds_a_remote_backend_with_the_served_model(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    server.models = ["served-model"]
    backend = make_backend(Settings(endpoint=server.url), Path("."))
    try:
        assert isinstance(backend, RemoteBackend)
        assert (backend.kind, backend.model_name) == ("remote", "served-model")
    finally:
        backend.close()


def test_several_models_without_a_name_is_a_configuration_error(server: FaultServer) -> None:
    server.models = ["a-7b", "b-24b"]
    with pytest.raises(ConfigError, match="pick one with --model: a-7b, b-24b"):
        build_remote_backend(Settings(endpoint=server.url), {})


def test_a_chooser_picks_among_several_models(server: FaultServer) -> None:
    server.models = ["a-7b", "b-24b"]
    offered: list[Sequence[str]] = []

    def pick_last(names: Sequence[str]) -> str:
        offered.append(list(names))
        return names[-1]

    backend = build_remote_backend(Settings(endpoint=server.url), {}, choose=pick_last)
    assert backend.model_name == "b-24b"
    assert offered == [["a-7b", "b-24b"]]
    backend.close()


def test_an_unreachable_model_list_is_left_to_the_first_turn(server: FaultServer) -> None:
    server.models_status = Status(503)
    backend = build_remote_backend(Settings(endpoint=server.url), {})
    assert backend.model_name == ""
    assert len([r for r in server.requests if r.path.endswith("/models")]) == 1  # one quick try
    backend.close()


def test_choose_model_rules() -> None:
    assert choose_model(["one"], "http://h/v1") == "one"
    with pytest.raises(ModelChoiceError, match="lists no models"):
        choose_model([], "http://h/v1")
    with pytest.raises(ModelChoiceError, match="not one of the models"):
        choose_model(["a", "b"], "http://h/v1", lambda names: "c")


def test_the_context_window_comes_from_the_model_list(server: FaultServer) -> None:
    server.models = [
        {"id": "small", "object": "model", "max_model_len": 32768},
        {"id": "large", "object": "model", "max_context_length": 262144},
    ]
    backend = build_remote_backend(Settings(endpoint=server.url, model="large"), {})
    assert (backend.model_name, backend.context_window) == ("large", 262144)
    backend.close()
    plain = build_remote_backend(Settings(endpoint=server.url, model="unlisted"), {})
    assert plain.context_window is None
    plain.close()


def test_mistral_s_address_given_as_a_plain_url_is_treated_as_mistral() -> None:
    endpoint = resolve_endpoint(
        Settings(endpoint="https://api.mistral.ai/v1"), {"MISTRAL_API_KEY": "m-key"}
    )
    assert (endpoint.provider, endpoint.api_key, endpoint.lenient) == ("mistral", "m-key", False)
    assert endpoint.model == "devstral-small-2507"
