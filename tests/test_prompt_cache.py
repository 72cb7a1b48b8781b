"""The prompt cache end to end: real `devcli run` processes on real llama.cpp (the one-layer
Tekken GGUF, and SmolLM2 for output that must stay identical), reading the prompt tokens
evaluated and restored from `--output json`, which takes them from llama.cpp's perf counters.

Each test has a prompt cache folder of its own (the probe verdicts are kept per module)."""

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devcli.config import Settings
from devcli.doctor.cache_checks import check_prompt_cache
from devcli.doctor.report import Report, Status
from devcli.events import AssistantTurn, Event, Usage, read_session_file
from devcli.llm.prompt_cache import prompt_cache_summary
from devcli.llm.prompt_cache_figures import last_restore_text
from devcli.llm.prompt_cache_store import (
    CachedEntry,
    EntryKind,
    PromptCacheStore,
    state_checksum,
)
from tests.support.cli import run_devcli
from tests.support.llm_files import smollm2_gguf, write_tiny_tekken_gguf
from tests.support.tmux import TMUX, Pane

TASK = "List the files in this repository."
OTHER_TASK = "Count the lines of every file."
# Harmless tools only: the one-layer model writes noise, and its calls run for real.
TEKKEN_ENV = {
    "DEVCLI_TOOL_CHOICE": "required",
    "DEVCLI_TOOLS": "think,finish",
    "DEVCLI_MAX_TOKENS": "12",
    "DEVCLI_CONDENSE_THRESHOLD": "0.95",
}


@pytest.fixture(scope="module")
def tekken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_tekken_gguf(tmp_path_factory.mktemp("tiny-tekken"))


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def cache(module_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty prompt cache folder; DEVCLI_CACHE_DIR points at its parent."""
    folder = module_cache / "prompt-cache"
    shutil.rmtree(folder, ignore_errors=True)
    monkeypatch.setenv("DEVCLI_CACHE_DIR", str(module_cache))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def run_task(
    repo: Path, model: Path, task: str, *flags: str, env: dict[str, str] | None = None
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    args = ["run", "--cwd", str(repo), "--model", str(model), "--temperature", "0"]
    args += ["--max-steps", "1", "--output", "json", *flags, task]
    result = run_devcli(*args, env={**TEKKEN_ENV, **(env or {})}, timeout=900)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1, 3), result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result


def turns_of(summary: dict[str, Any]) -> list[AssistantTurn]:
    events = read_session_file(Path(summary["session_file"]))
    return [event for event in events if isinstance(event, AssistantTurn)]


def replies(summary: dict[str, Any]) -> list[tuple[str, list[tuple[str, Any, Any]]]]:
    """What the model wrote in each turn (call ids are drawn at random, so they are left out)."""
    return [
        (turn.content, [(c.name, c.arguments, c.raw_arguments) for c in turn.tool_calls])
        for turn in turns_of(summary)
    ]


def entries(folder: Path, kind: EntryKind | None = None) -> list[CachedEntry]:
    found, problems = PromptCacheStore(folder, 10**12).entries()
    assert problems == []
    return [entry for entry in found if kind is None or entry.header.kind is kind]


def keep_only_prefix_entries(folder: Path) -> None:
    """Conversation entries also start with the prefix; tests about one file remove them."""
    for entry in entries(folder, EntryKind.CONVERSATION):
        entry.path.unlink()


def task_tokens(tekken_gguf: Path, text: str) -> int:
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    tokenizer = MistralTokenizer.from_file(str(tekken_gguf.parent / "tekken.json"))
    return len(tokenizer.instruct_tokenizer.tokenizer.encode(text, bos=False, eos=False))


def test_a_second_run_restores_the_prefix_and_evaluates_only_the_task(
    git_repo: Path, tekken: Path, cache: Path
) -> None:
    first, _ = run_task(git_repo, tekken, TASK)
    assert first["prompt_tokens_restored"] == 0
    assert first["prompt_tokens_evaluated"] == first["prompt_tokens"]
    [prefix] = entries(cache, EntryKind.PREFIX)
    assert prefix.header.n_tokens == first["prompt_tokens"]
    stable = prefix.header.prefix_tokens
    assert 300 < stable < first["prompt_tokens"]  # system prompt and tools, not the task

    second, run = run_task(git_repo, tekken, OTHER_TASK)
    assert second["prompt_tokens_restored"] == stable
    evaluated = second["prompt_tokens_evaluated"]
    assert evaluated == second["prompt_tokens"] - stable
    assert evaluated == task_tokens(tekken, OTHER_TASK) + 1  # the task, then [/INST]
    assert f"{stable:,} prompt tokens restored from cache in" in run.stderr
    [turn] = turns_of(second)
    assert turn.usage.prompt_restored == stable and turn.usage.restore_seconds is not None


def test_the_same_task_again_evaluates_one_token(git_repo: Path, tekken: Path, cache: Path) -> None:
    first, _ = run_task(git_repo, tekken, TASK)
    again, _ = run_task(git_repo, tekken, TASK)
    assert again["prompt_tokens"] == first["prompt_tokens"]
    assert again["prompt_tokens_evaluated"] == 1  # llama.cpp evaluates one to sample
    assert replies(again) == replies(first)


def test_no_prompt_cache_evaluates_everything_and_touches_nothing(
    git_repo: Path, tekken: Path, cache: Path
) -> None:
    run_task(git_repo, tekken, TASK)
    before = {path.name: path.stat().st_mtime_ns for path in cache.iterdir()}
    assert before
    plain, _ = run_task(git_repo, tekken, TASK, "--no-prompt-cache")
    assert plain["prompt_tokens_restored"] == 0
    assert plain["prompt_tokens_evaluated"] == plain["prompt_tokens"]
    assert {path.name: path.stat().st_mtime_ns for path in cache.iterdir()} == before
    setting, _ = run_task(git_repo, tekken, TASK, env={"DEVCLI_PROMPT_CACHE": "false"})
    assert setting["prompt_tokens_evaluated"] == setting["prompt_tokens"]


def _rewrite(entry: CachedEntry, store: PromptCacheStore, **header: Any) -> None:
    """Writes the entry again, consistent in itself, with header fields replaced."""

    def copy(data: Any, size: int) -> bytes:
        return bytes(data)[:size]

    state = store.with_state(entry, copy)
    changed = entry.header.model_copy(update={**header, "state_crc32": state_checksum(state)})
    store.write(entry.path.name, changed, entry.tokens, state)


def _damage(kind: str, entry: CachedEntry, git_repo: Path, tekken: Path, folder: Path) -> str:
    """Damages the prefix entry the way `kind` says; returns the reason devcli should give."""
    store = PromptCacheStore(folder, 10**12)
    data = bytearray(entry.path.read_bytes())
    if kind == "corrupt":
        data[-1000] ^= 0xFF
        entry.path.write_bytes(bytes(data))
        return "corrupt state (checksum mismatch)"
    if kind == "truncated":
        entry.path.write_bytes(bytes(data[: len(data) // 2]))
        return "truncated"
    if kind == "other model":
        key = entry.header.key.model_copy(update={"model_path": "/elsewhere/other.gguf"})
        _rewrite(entry, store, key=key)
        return "saved for another model file, runtime or context"
    # "other layout": a state of an f16 K cache, presented as one of the q8_0 cache in use. It
    # passes devcli's own checks; llama.cpp itself must refuse it.
    run_task(git_repo, tekken, TASK, "--cache-type-k", "f16")
    [f16] = [e for e in entries(folder, EntryKind.PREFIX) if e.header.key.type_k == "f16"]
    _rewrite(f16, store, key=entry.header.key)
    f16.path.rename(entry.path)
    for other in entries(folder):
        if other.path != entry.path:
            other.path.unlink()
    return "llama.cpp could not use it"


@pytest.mark.parametrize("kind", ["corrupt", "truncated", "other model", "other layout"])
def test_a_bad_cache_file_is_ignored_deleted_and_replaced(
    git_repo: Path, tekken: Path, cache: Path, kind: str
) -> None:
    first, _ = run_task(git_repo, tekken, TASK)
    keep_only_prefix_entries(cache)
    [entry] = entries(cache, EntryKind.PREFIX)
    reason = _damage(kind, entry, git_repo, tekken, cache)

    second, run = run_task(git_repo, tekken, TASK, "--verbose")
    ignored = [line for line in run.stderr.splitlines() if "prompt cache: ignored" in line]
    assert len(ignored) == 1 and entry.path.name in ignored[0] and reason in ignored[0]
    assert second["prompt_tokens_restored"] == 0
    assert second["prompt_tokens_evaluated"] == second["prompt_tokens"]
    assert replies(second) == replies(first)  # never wrong output

    keep_only_prefix_entries(cache)
    [replaced] = entries(cache, EntryKind.PREFIX)  # a valid file in its place
    assert replaced.path == entry.path
    third, _ = run_task(git_repo, tekken, TASK)
    assert third["prompt_tokens_restored"] == third["prompt_tokens"] - 1


def test_a_bad_file_is_one_quiet_miss_without_verbose(
    git_repo: Path, tekken: Path, cache: Path
) -> None:
    run_task(git_repo, tekken, TASK)
    keep_only_prefix_entries(cache)
    [entry] = entries(cache, EntryKind.PREFIX)
    entry.path.write_bytes(b"garbage" * 100)
    result, run = run_task(git_repo, tekken, TASK)
    assert "prompt cache" not in run.stderr
    assert result["prompt_tokens_evaluated"] == result["prompt_tokens"]


def test_the_size_bound_evicts_the_least_recently_used(
    git_repo: Path, tekken: Path, cache: Path, tmp_path: Path
) -> None:
    other_repo = tmp_path / "other"
    shutil.copytree(git_repo, other_repo)  # another workspace: another system prompt
    run_task(git_repo, tekken, TASK)
    one_run = sum(entry.size for entry in entries(cache))
    bound = {"DEVCLI_PROMPT_CACHE_MAX_GB": str(one_run * 1.2 / 1e9)}
    shutil.rmtree(cache)

    run_task(git_repo, tekken, TASK, env=bound)
    first_files = {entry.path for entry in entries(cache)}
    run_task(other_repo, tekken, TASK, env=bound)
    left = entries(cache)
    assert sum(entry.size for entry in left) <= one_run * 1.2
    assert first_files.isdisjoint(entry.path for entry in left)  # the older run's went first
    again, _ = run_task(git_repo, tekken, TASK, env=bound)
    assert again["prompt_tokens_restored"] == 0


def test_continue_evaluates_only_what_is_new(git_repo: Path, tekken: Path, cache: Path) -> None:
    first, _ = run_task(git_repo, tekken, TASK, "--max-steps", "3")
    last = turns_of(first)[-1]
    in_context = last.usage.prompt_tokens + last.usage.completion_tokens - 1
    assert entries(cache, EntryKind.CONVERSATION)[0].header.n_tokens == in_context

    args = ["run", "--cwd", str(git_repo), "--model", str(tekken), "--temperature", "0"]
    args += ["--continue", "--max-steps", "1", "--output", "json"]
    run = run_devcli(*args, env=TEKKEN_ENV, timeout=900)
    assert "Traceback" not in run.stderr and run.returncode in (0, 1, 3), run.stderr
    resumed = json.loads(run.stdout.strip().splitlines()[-1])
    # Everything the first run's context held is restored, the rest evaluated: the last
    # reply's final token and the messages added since.
    assert resumed["prompt_tokens_restored"] == in_context
    new = turns_of(resumed)[-1].usage.prompt_tokens - in_context
    assert resumed["prompt_tokens_evaluated"] == new
    assert new < 100


def test_cache_list_and_clear(git_repo: Path, tekken: Path, cache: Path) -> None:
    run_task(git_repo, tekken, TASK)
    listed = run_devcli("cache", "list", "--cwd", str(git_repo))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert any(line.startswith("prefix") and "tiny-tekken.gguf" in line for line in lines)
    assert any(line.startswith("conversation") for line in lines)
    assert lines[-1].startswith("2 saved states") and str(cache) in lines[-1]
    assert prompt_cache_summary(Settings()).entries == 2
    cleared = run_devcli("cache", "clear", "--cwd", str(git_repo))
    assert cleared.stdout.startswith("Removed 2 saved states")
    assert entries(cache) == []
    assert run_devcli("cache", "list").stdout.startswith("0 saved states")


@pytest.mark.slow
def test_smollm2_replies_identically_with_and_without_the_cache(
    git_repo: Path, cache: Path, tmp_path: Path
) -> None:
    # A short official system prompt beside the model keeps the 135M model's prompt short.
    models = tmp_path / "models"
    models.mkdir()
    link = models / smollm2_gguf().name
    link.symlink_to(smollm2_gguf())
    (models / "SYSTEM_PROMPT.txt").write_text("You are a coding agent. Use the tools.\n" * 8)
    env = {"DEVCLI_TOOL_CHOICE": "auto", "DEVCLI_MAX_TOKENS": "24"}
    flags = ("--system-prompt", "official")

    def reply(task: str, *more: str) -> tuple[Any, dict[str, Any]]:
        summary, _ = run_task(git_repo, link, task, *flags, *more, env=env)
        [turn] = turns_of(summary)
        assert turn.usage.completion_tokens > 0
        return replies(summary), summary

    plain, _ = reply(TASK, "--no-prompt-cache")
    cold, saved = reply(TASK)
    assert saved["prompt_tokens_restored"] == 0
    warm, restored = reply(TASK)
    assert restored["prompt_tokens_restored"] == restored["prompt_tokens"] - 1
    assert plain == cold == warm
    # Only the prefix restored, the other task's tokens evaluated on top of it.
    other_plain, _ = reply(OTHER_TASK, "--no-prompt-cache")
    other_warm, other = reply(OTHER_TASK)
    assert 0 < other["prompt_tokens_restored"] < other["prompt_tokens"] - 1
    assert other_warm == other_plain


def test_the_summary_and_doctor_say_where_the_cache_is(cache: Path) -> None:
    report = Report()
    check_prompt_cache(report, Settings())
    [line] = report.checks
    assert line.status is Status.OK
    assert "0 saved prompt states" in line.detail and str(cache) in line.detail
    cache.mkdir(parents=True)
    (cache / "0123456789abcdef-prefix-0.kvstate").write_bytes(b"not a state")
    summary = prompt_cache_summary(Settings(prompt_cache_max_gb=2))
    assert (summary.location, summary.entries, summary.unreadable) == (cache, 0, 1)
    assert summary.max_bytes == 2_000_000_000
    report = Report()
    check_prompt_cache(report, Settings())
    assert report.checks[0].status is Status.WARNING
    assert report.checks[0].fix == "devcli cache clear"
    report = Report()
    check_prompt_cache(report, Settings(prompt_cache=False))
    assert report.checks[0].detail.startswith("off")


def test_status_names_the_latest_restore() -> None:
    restored = Usage(prompt_tokens=3200, prompt_restored=3120, restore_seconds=0.3)
    events: list[Event] = [
        AssistantTurn(usage=restored),
        AssistantTurn(usage=Usage(prompt_tokens=3300, prompt_restored=0)),
    ]
    assert last_restore_text(events) == "3,120 prompt tokens restored from cache in 0.3 s"
    assert last_restore_text(events[1:]) is None


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_leaving_the_repl_saves_and_resume_restores(
    cache: Path, git_repo: Path, tekken: Path, pane: Pane
) -> None:
    settings = f"DEVCLI_CACHE_DIR={cache.parent} DEVCLI_MAX_TOKENS=8 DEVCLI_TOOLS=think,finish"
    devcli = f"{settings} {sys.executable} -m devcli --model {tekken} --temperature 0"
    pane.start(
        f'cd {git_repo} && {devcli}; echo "[first exited with $?]"; '
        f'{devcli}; echo "[second exited with $?]"; sleep 600'
    )
    replied = re.compile(r"[1-9]\d* steps · approval ask")
    pane.wait_for("0 steps · approval ask")
    pane.type("Say something.")
    pane.press("Enter")
    pane.wait_for(lambda screen: bool(replied.search(screen)))
    pane.type("/exit")
    pane.press("Enter")
    screen = pane.wait_for("[first exited with 0]")
    assert entries(cache, EntryKind.CONVERSATION)  # saved when the person left

    start = screen.index("[first exited with 0]")
    pane.wait_for("0 steps · approval ask", after=start)
    pane.type("/resume")
    pane.press("Enter")
    pane.wait_for("Resumed session", after=start)
    pane.type("Go on.")
    pane.press("Enter")
    screen = pane.wait_for("prompt tokens restored from cache in", after=start)
    asked = len(pane.wait_for(lambda s: bool(replied.search(s[start:]))))
    pane.type("/status")
    pane.press("Enter")
    screen = pane.wait_for("restored from cache in", after=asked)
    status = screen[asked:]
    assert re.search(r"prompt cache\s+[\d,]+ prompt tokens restored from cache in", status), status
    pane.type("/exit")
    pane.press("Enter")
    screen = pane.wait_for("[second exited with 0]")
    assert "Traceback" not in screen
