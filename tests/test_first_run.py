"""A first run on a machine without the model: offline, it says what to do at once; online
(a hub of the tests' own on loopback), it downloads with progress a log can show, checks the
disk first, and the interactive session offers the download instead of ending."""

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import new_user_env, run_devcli_as
from tests.support.fake_hub import fake_hub
from tests.support.llm_files import smollm2_gguf
from tests.support.tmux import TMUX, Pane

REPO = "owner/smol"


def _first_run_env(tmp_path: Path, endpoint: str) -> dict[str, str]:
    """A new user's machine with the hub at `endpoint` (reachable or not)."""
    env = new_user_env(tmp_path, HF_ENDPOINT=endpoint)
    for name in ("HF_HUB_OFFLINE", "HF_TOKEN", "DEVCLI_MODEL"):
        env.pop(name, None)
    return env


def _closed_port() -> str:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_offline_run_says_what_to_do_without_the_hub_clients_retries(
    git_repo: Path, tmp_path: Path
) -> None:
    env = _first_run_env(tmp_path, _closed_port())
    result = run_devcli_as(env, "run", "explain this repository", cwd=git_repo)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for noise in ("Retrying", "thrown while requesting"):
        assert noise not in result.stderr + result.stdout
    assert "cannot be downloaded (Hugging Face cannot be reached at http://127.0.0.1:" in (
        result.stderr
    )
    for way in ("devcli models pull", "--model /path/to/model.gguf", "--endpoint"):
        assert way in result.stderr


@pytest.fixture
def hub() -> Iterator[str]:
    gguf = smollm2_gguf()
    files = {f"{REPO}/{gguf.name}": gguf, f"{REPO}/huge.gguf": gguf}
    with fake_hub(files, claimed_sizes={f"{REPO}/huge.gguf": 10**16}) as endpoint:
        yield endpoint


def test_a_download_in_a_log_shows_a_line_every_few_percent(
    git_repo: Path, tmp_path: Path, hub: str
) -> None:
    name = smollm2_gguf().name
    env = _first_run_env(tmp_path, hub)
    result = run_devcli_as(env, "models", "pull", f"{REPO}/{name}", cwd=git_repo)
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if re.search(r": \d+% \(", line)]
    percents = [int(re.search(r": (\d+)% \(", line).group(1)) for line in progress]  # type: ignore[union-attr]
    assert len(percents) >= 5 and percents == sorted(percents) and percents[-1] == 100
    assert "\r" not in result.stderr  # no live bar redrawn in the log
    downloaded = Path(result.stdout.split("model:", 1)[1].split()[0])
    assert downloaded.read_bytes() == smollm2_gguf().read_bytes()


def test_a_download_that_cannot_fit_is_refused_before_it_starts(
    git_repo: Path, tmp_path: Path, hub: str
) -> None:
    env = _first_run_env(tmp_path, hub)
    result = run_devcli_as(env, "models", "pull", f"{REPO}/huge.gguf", cwd=git_repo)
    assert result.returncode == 2
    assert "the download needs 10000.0 TB but" in result.stderr and "free" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list((tmp_path / "hf").rglob("*.gguf"))
    assert not [p for p in (tmp_path / "hf").rglob("*") if p.is_file() and p.stat().st_size > 0]


def _start_repl(pane: Pane, repo: Path, env: dict[str, str], *args: str) -> None:
    """The tmux server, started by the first command, hands this environment to the REPL."""
    pane.env = {**env, "TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    pane.env.pop("NO_COLOR", None)
    pane.start(f"cd {repo} && {sys.executable} -m devcli {' '.join(args)}; sleep 30")


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_offline_repl_opens_with_guidance_and_model_fixes_it(
    pane: Pane, git_repo: Path, tmp_path: Path
) -> None:
    _start_repl(pane, git_repo, _first_run_env(tmp_path, _closed_port()))
    screen = " ".join(pane.wait_for("/model --endpoint").split())  # rich wraps long lines
    assert "is not on this machine" in screen and "cannot be downloaded now" in screen
    assert "Traceback" not in screen
    pane.type("hello")
    pane.press("Enter")
    pane.wait_for("There is no model yet")
    pane.type(f"/model {smollm2_gguf()}")
    pane.press("Enter")
    pane.wait_for("Now using SmolLM2")
    pane.type("/status")
    pane.press("Enter")
    # A local model's prompt is counted exactly, before any turn has run.
    screen = pane.wait_for(lambda s: bool(re.search(r"context +\d+ tokens of a \d+-token", s)))
    assert "context n/a" not in screen
    assert re.search(r"context \d+(\.\d)?k?/\d+(\.\d)?k \(\d+%\)", screen), screen
    pane.press("C-d")


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_repl_offers_the_download_and_uses_the_model_after_a_yes(
    pane: Pane, git_repo: Path, tmp_path: Path, hub: str
) -> None:
    name = smollm2_gguf().name
    _start_repl(pane, git_repo, _first_run_env(tmp_path, hub), "--model", f"{REPO}/{name}")
    screen = " ".join(pane.wait_for("Download it now?").split())
    assert "is not on this machine" in screen and "free in" in screen
    pane.type("y")
    pane.wait_for("Now using SmolLM2")
    assert list((tmp_path / "hf").rglob(name))
    pane.press("C-d")
