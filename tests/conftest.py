"""Fixtures every test module may use. Area-specific helpers live in tests/support/."""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tmux import Pane, tmux_pane


@pytest.fixture(scope="session")
def shared_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the whole run: the decode probe's verdicts are then paid once per model.
    Tests about caches themselves set DEVCLI_CACHE_DIR to a folder of their own."""
    return tmp_path_factory.mktemp("devcli-cache")


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    shared_cache_dir: Path,
) -> Iterator[None]:
    """Keep sessions, history and config of tests out of the real home folder."""
    base = tmp_path_factory.mktemp("devcli-home")
    monkeypatch.setenv("DEVCLI_CACHE_DIR", str(shared_cache_dir))
    monkeypatch.setenv("DEVCLI_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """An empty git repository with an identity, in a temporary folder."""
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "config", "user.name", "Test"], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "user.email", "test@example.com"], check=True)
    return repo


@pytest.fixture
def pane() -> Iterator[Pane]:
    """A real terminal (tmux) for the interactive session."""
    with tmux_pane() as opened:
        yield opened
