"""What a server serves (`/v1/models`), and choosing the model when none was named."""

from collections.abc import Callable, Sequence
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict

from devcli.config import ConfigError

# Shows the names and returns the one the person picked (the REPL passes one; `run` does not).
ModelChooser = Callable[[Sequence[str]], str]


class ModelChoiceError(ConfigError):
    """No model was named and the server's list does not settle which one to use."""


# Where servers put a model's context window in their `/v1/models` entries: vLLM,
# Mistral's API and LM Studio, OpenRouter-style lists.
_WINDOW_FIELDS = ("max_model_len", "max_context_length", "context_length")


class ServedModel(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    context_window: int | None = None


def _window(entry: dict[str, Any]) -> int | None:
    for key in _WINDOW_FIELDS:
        value = entry.get(key)
        if isinstance(value, int) and value > 0:
            return value
    return None


def served_models(client: openai.OpenAI) -> list[ServedModel]:
    """The server's list, in its order, without repeats. Raises the SDK's errors."""
    models: list[ServedModel] = []
    for entry in client.models.list():
        fields = entry.model_dump()
        name = fields.get("id")
        if isinstance(name, str) and name and all(m.id != name for m in models):
            models.append(ServedModel(id=name, context_window=_window(fields)))
    return models


def list_models(client: openai.OpenAI) -> list[str]:
    return [model.id for model in served_models(client)]


def describe_models(names: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(names[:limit])
    if len(names) > limit:
        shown += f" … ({len(names) - limit} more)"
    return shown or "(none)"


def choose_model(
    available: Sequence[str], base_url: str, choose: ModelChooser | None = None
) -> str:
    """The only model, or the person's pick; otherwise an error that lists them."""
    if not available:
        raise ModelChoiceError(
            f"{base_url} lists no models; name one with --model (or load one in the server)"
        )
    if len(available) == 1:
        return available[0]
    if choose is not None:
        picked = choose(available)
        if picked in available:
            return picked
        raise ModelChoiceError(f"{picked!r} is not one of the models {base_url} serves")
    raise ModelChoiceError(
        f"{base_url} serves several models; pick one with --model: {describe_models(available)}"
    )
