"""Where a remote model lives: named providers, `--endpoint`, and the OPENAI_* variables."""

from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict

from devcli.config import ConfigError, Settings

# Sent when no key is configured: local servers ignore it, and the SDK refuses an empty key.
NO_KEY = "no-key"


class Provider(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    base_url: str
    key_variable: str | None = None  # the environment variable that holds its key
    needs_key: bool = False
    default_model: str | None = None
    # Strict APIs reject fields they do not know (top_k, min_p, stream_options …).
    lenient: bool = True


PROVIDERS: dict[str, Provider] = {
    provider.name: provider
    for provider in (
        Provider(name="vllm", base_url="http://127.0.0.1:8000/v1"),
        Provider(name="llamacpp", base_url="http://127.0.0.1:8080/v1"),
        Provider(name="ollama", base_url="http://127.0.0.1:11434/v1"),
        Provider(name="lmstudio", base_url="http://127.0.0.1:1234/v1"),
        Provider(
            name="mistral",
            base_url="https://api.mistral.ai/v1",
            key_variable="MISTRAL_API_KEY",
            needs_key=True,
            default_model="devstral-small-2507",
            lenient=False,
        ),
    )
}


class Endpoint(BaseModel):
    """Everything needed to talk to one server, resolved from settings and environment."""

    model_config = ConfigDict(frozen=True)

    base_url: str
    api_key: str = NO_KEY
    model: str | None = None  # None: ask the server which models it serves
    provider: str | None = None  # None: a plain OpenAI-compatible URL
    lenient: bool = True


def wants_remote(settings: Settings, environ: Mapping[str, str]) -> bool:
    """A remote backend is meant when an endpoint or provider is configured, or
    OPENAI_BASE_URL is set and the model is not a local GGUF file."""
    if settings.endpoint or settings.provider:
        return True
    if not environ.get("OPENAI_BASE_URL"):
        return False
    return not (settings.model or "").lower().endswith(".gguf")


def normalise_base_url(url: str, source: str) -> str:
    """`http://host:8000` becomes `http://host:8000/v1`, which every supported server uses."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{source} must be a URL such as http://127.0.0.1:8000/v1 (got {url!r})")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        raise ConfigError(f"{source} has an invalid port: {url!r}") from exc
    path = parts.path.rstrip("/")
    if not path:
        path = "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _provider(settings: Settings, environ: Mapping[str, str]) -> Provider | None:
    if not settings.provider:
        # Mistral's API reached through a plain URL still gets its strict request shape.
        url = settings.endpoint or environ.get("OPENAI_BASE_URL") or ""
        mistral = PROVIDERS["mistral"]
        same_host = urlsplit(url.strip()).hostname == urlsplit(mistral.base_url).hostname
        return mistral if same_host else None
    provider = PROVIDERS.get(settings.provider.strip().lower())
    if provider is None:
        known = ", ".join(PROVIDERS)
        raise ConfigError(f"unknown provider {settings.provider!r}; the providers are: {known}")
    return provider


def resolve_endpoint(settings: Settings, environ: Mapping[str, str]) -> Endpoint:
    """Precedence: --endpoint, then the provider's address, then OPENAI_BASE_URL; the key
    from --api-key, then the provider's variable, then OPENAI_API_KEY."""
    provider = _provider(settings, environ)
    if settings.endpoint:
        base_url = normalise_base_url(settings.endpoint, "--endpoint")
    elif provider is not None:
        base_url = provider.base_url
    elif environ.get("OPENAI_BASE_URL"):
        base_url = normalise_base_url(environ["OPENAI_BASE_URL"], "OPENAI_BASE_URL")
    else:
        raise ConfigError("no server configured: give --endpoint URL or --provider NAME")
    key = settings.api_key
    if not key and provider is not None and provider.key_variable:
        key = environ.get(provider.key_variable)
    if not key:
        key = environ.get("OPENAI_API_KEY")
    if not key and provider is not None and provider.needs_key:
        raise ConfigError(
            f"the {provider.name} provider needs an API key: set {provider.key_variable} "
            "or pass --api-key"
        )
    return Endpoint(
        base_url=base_url,
        api_key=key or NO_KEY,
        model=settings.model or (provider.default_model if provider is not None else None),
        provider=provider.name if provider is not None else None,
        lenient=provider.lenient if provider is not None else True,
    )
