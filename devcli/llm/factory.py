"""Chooses and builds the model backend the settings ask for."""

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from devcli.config import ConfigError, Settings
from devcli.llm.backend import Backend, BackendStartError

if TYPE_CHECKING:
    from devcli.llm.model_download import DownloadPlan


class ModelUnavailable(ConfigError):
    """The configured model is not on disk and cannot be downloaded now; `plan` says what a
    download would fetch, so an interactive front end can offer it."""

    def __init__(self, message: str, plan: "DownloadPlan", why: str, downloadable: bool) -> None:
        super().__init__(message)
        self.plan = plan
        self.why = why
        self.downloadable = downloadable


def make_backend(
    settings: Settings,
    workspace: Path,
    choose_model: Callable[[Sequence[str]], str] | None = None,
    download: bool = True,
) -> Backend:
    """Raises ConfigError (exit 2) when no backend can be built from these settings, and
    BackendStartError (exit 4) when the runtime crashes on this machine.

    `choose_model` asks the person which model to use when a server offers several; without
    it (`devcli run`), that is an error listing them. With `download` off, a model that is not
    on disk yet raises ModelUnavailable instead of being downloaded.
    """
    # Remote: an endpoint, a provider, or OPENAI_BASE_URL. Imported here to keep start-up light.
    from devcli.llm.providers import wants_remote

    if wants_remote(settings, os.environ):
        from devcli.llm.remote import build_remote_backend

        return build_remote_backend(settings, choose=choose_model)

    # Local: a GGUF run in-process by llama.cpp (the default model when none is configured).
    from devcli.llm.model_cards import ModelError
    from devcli.llm.model_download import MissingModelError
    from devcli.llm.runtime_guard import NativeCrashError

    try:
        from devcli.llm.model_setup import build_local_backend
    except ImportError as exc:  # llama-cpp-python missing or built for another platform
        raise ConfigError(
            f"local models need llama-cpp-python, which cannot be imported ({exc}); install it "
            "with `pip install llama-cpp-python`, or use --endpoint or --provider"
        ) from exc
    try:
        return build_local_backend(settings, download)
    except MissingModelError as exc:
        raise ModelUnavailable(str(exc), exc.plan, exc.why, exc.downloadable) from exc
    except ModelError as exc:
        raise ConfigError(str(exc)) from exc
    except NativeCrashError as exc:
        raise BackendStartError(str(exc)) from exc
