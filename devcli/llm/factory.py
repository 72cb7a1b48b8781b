"""Chooses and builds the model backend the settings ask for."""

from pathlib import Path

from devcli.config import ConfigError, Settings
from devcli.llm.base import Backend


def make_backend(settings: Settings, workspace: Path) -> Backend:
    """Raises ConfigError (exit 2) when no backend can be built from these settings."""
    raise ConfigError(
        "no model backend is available in this build of devcli. "
        "Use `devcli replay FILE` to run recorded turns."
    )
