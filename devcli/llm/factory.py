"""Chooses and builds the model backend the settings ask for."""

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from devcli.config import ConfigError, Settings
from devcli.llm.base import Backend


def make_backend(
    settings: Settings,
    workspace: Path,
    choose_model: Callable[[Sequence[str]], str] | None = None,
) -> Backend:
    """Raises ConfigError (exit 2) when no backend can be built from these settings.

    `choose_model` asks the person which model to use when a server offers several; without
    it (`devcli run`), that is an error listing them.
    """
    # Remote: an endpoint, a provider, or OPENAI_BASE_URL. Imported here to keep start-up light.
    from devcli.llm.providers import wants_remote

    if wants_remote(settings, os.environ):
        from devcli.llm.remote import build_remote_backend

        return build_remote_backend(settings, choose=choose_model)

    # Local: a GGUF run in-process by llama.cpp (the default model when none is configured).
    from devcli.llm.models import ModelError

    try:
        from devcli.llm.model_setup import build_local_backend
    except ImportError as exc:  # llama-cpp-python missing or built for another platform
        raise ConfigError(
            f"local models need llama-cpp-python, which cannot be imported ({exc}); install it "
            "with `pip install llama-cpp-python`, or use --endpoint or --provider"
        ) from exc
    try:
        return build_local_backend(settings)
    except ModelError as exc:
        raise ConfigError(str(exc)) from exc
