"""The prompt cache of local models: the KV state of prompts kept on disk between runs.

Every prompt devcli writes for a local model is token-exact and starts with the same system
prompt, tools and project instructions, so a state saved by one run is valid for the next:
- when a conversation's first prompt has been evaluated (at its first generated token), its
  state is copied and written in the background: a prefix entry, named by the stable prefix;
- when a run or the REPL ends, the whole conversation's state is saved with the tokens the
  model generated, so `--continue` and `--resume` write the conversation back identically;
- before a turn, the entry sharing the longest prefix with the prompt is restored when it
  beats what the context already holds, and llama.cpp evaluates only the rest.

A state is only ever used by the same model file, runtime build and context layout (the
`CacheKey`), after its checksum, its token count and its positions have been checked. A file
that fails any check is deleted, with one line under --verbose; the prompt is then evaluated
as if there were no cache.
"""

import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from devcli.config import Settings
from devcli.llm.backend import ChatMessage, Role
from devcli.llm.kv_state import (
    CapturedState,
    KvStateError,
    capture_state,
    evaluated_tokens,
    restore_state,
    state_size,
)
from devcli.llm.model_loading import LoadPlan, available_memory
from devcli.llm.prompt_cache_figures import describe_restore
from devcli.llm.prompt_cache_store import (
    CachedEntry,
    CacheKey,
    EntryHeader,
    EntryKind,
    EntryProblem,
    PromptCacheStore,
    PromptCacheSummary,
    entry_name,
    state_checksum,
    tokens_digest,
)
from devcli.llm.prompt_prefix import common_prefix_length
from devcli.notices import notify
from devcli.paths import cache_dir
from devcli.units import human_size

# A prompt shorter than this is evaluated about as fast as its state is read back.
MIN_SAVED_TOKENS = 128
# A restore must spare at least this many tokens over what the context already holds, and
# at least this share of the tokens it reads (reading a state costs in proportion to its size).
MIN_RESTORE_GAIN = 32
MIN_RESTORE_SHARE = 0.25

Notice = Callable[[str], None]
# An assistant turn as the local backend knows it: its text and the ids of its calls.
TurnKey = tuple[str, tuple[str, ...]]


class Restored(BaseModel):
    tokens: int  # prompt tokens taken from the file instead of being evaluated
    seconds: float
    kind: EntryKind
    saved_seconds: float | None = None  # what evaluating them took when the entry was saved


def turn_digest(key: TurnKey) -> str:
    """The name under which the tokens of one generated assistant turn are kept."""
    return hashlib.sha256(json.dumps([key[0], list(key[1])]).encode()).hexdigest()[:24]


def prompt_cache_root() -> Path:
    return cache_dir() / "prompt-cache"


def max_cache_bytes(settings: Settings) -> int:
    return int(settings.prompt_cache_max_gb * 1e9)


def prompt_cache_summary(settings: Settings) -> PromptCacheSummary:
    """Where the prompt cache is, whether it is on, and what it holds."""
    store = PromptCacheStore(prompt_cache_root(), max_cache_bytes(settings))
    return store.summary(enabled=settings.prompt_cache)


def cache_key(plan: LoadPlan, repack: bool | None) -> CacheKey:
    from devcli.llm.runtime_facts import read_runtime_facts

    facts = read_runtime_facts()
    stat = plan.path.stat()
    return CacheKey(
        model_path=str(plan.path.resolve()),
        model_size=stat.st_size,
        model_mtime_ns=stat.st_mtime_ns,
        runtime_version=facts.version,
        runtime_build=hashlib.sha256(facts.system_info.encode()).hexdigest()[:16],
        n_ctx=plan.n_ctx,
        type_k=plan.cache_type_k,
        type_v=plan.cache_type_v,
        flash_attn=plan.flash_attn,
        n_gpu_layers=plan.n_gpu_layers,
        repack=repack,
    )


class PromptCache:
    """The cache as one loaded model sees it. Call from the thread that runs the model; only
    file writes happen in the background (`flush` waits for them)."""

    def __init__(
        self,
        store: PromptCacheStore,
        key: CacheKey,
        model_name: str,
        verbose: bool = False,
        min_tokens: int = MIN_SAVED_TOKENS,
        notice: Notice = notify,
    ) -> None:
        self.store = store
        self.key = key
        self.model_name = model_name
        self.verbose = verbose
        self.min_tokens = min_tokens
        self._notice = notice
        self._writers: list[threading.Thread] = []
        self._unknown_turns: set[str] = set()
        self._prefix_length = 0
        self._failures: list[str] = []
        self._lock = threading.Lock()

    # -- finding and restoring -----------------------------------------------------------

    def _entries(self) -> list[CachedEntry]:
        entries, problems = self.store.entries(self.key.digest())
        for problem in problems:
            self._discard(problem.path, problem.reason)
        usable = []
        for entry in entries:
            if entry.header.key != self.key:
                self._discard(entry.path, "saved for another model file, runtime or context")
            else:
                usable.append(entry)
        return usable

    def _discard(self, path: Path, reason: str) -> None:
        self.store.remove(path)
        if self.verbose:
            self._notice(f"prompt cache: ignored {path.name}: {reason} (deleted)")

    def restore(self, llama: Any, prompt: Sequence[int]) -> Restored | None:
        """Restores the saved state sharing the longest prefix with `prompt`, when it spares
        evaluating at least MIN_RESTORE_GAIN more tokens than the context already holds and
        MIN_RESTORE_SHARE of the tokens the file holds."""
        limit = len(prompt) - 1  # llama.cpp must evaluate at least one token to sample
        current = min(common_prefix_length(evaluated_tokens(llama), prompt), limit)
        ranked = sorted(
            (
                (min(common_prefix_length(entry.tokens, prompt), limit), -entry.size, entry)
                for entry in self._entries()
            ),
            key=lambda item: (item[0], item[1]),
            reverse=True,
        )
        for usable, _size, entry in ranked:
            if usable < current + MIN_RESTORE_GAIN:
                return None
            if usable < MIN_RESTORE_SHARE * entry.header.n_tokens:
                continue
            started = time.perf_counter()
            load = partial(restore_state, llama, entry.tokens, keep=usable)
            try:
                self.store.with_state(entry, load)
            except EntryProblem as problem:
                self._discard(entry.path, problem.reason)
                continue
            except KvStateError as exc:
                self._discard(entry.path, f"llama.cpp could not use it ({exc})")
                current = 0  # the context's sequence was emptied
                continue
            self.store.touch(entry.path)
            rate = entry.header.prompt_tokens_per_second
            restored = Restored(
                tokens=usable,
                seconds=time.perf_counter() - started,
                kind=entry.header.kind,
                saved_seconds=usable / rate if rate else None,
            )
            self._notice(
                describe_restore(restored.tokens, restored.seconds, restored.saved_seconds)
            )
            return restored
        return None

    def fill_turns(
        self, generated: dict[TurnKey, tuple[int, ...]], messages: Sequence[ChatMessage]
    ) -> None:
        """Adds to `generated` the tokens of assistant turns of `messages` that a saved
        conversation knows (turns generated by an earlier process: a resumed session)."""
        missing: dict[str, TurnKey] = {}
        for message in messages:
            if message.role is Role.ASSISTANT:
                key = (message.content, tuple(call.id for call in message.tool_calls))
                digest = turn_digest(key)
                if key not in generated and digest not in self._unknown_turns:
                    missing[digest] = key
        if not missing:
            return
        for entry in self._entries():
            for digest, ids in entry.header.turns.items():
                if digest in missing:
                    generated[missing.pop(digest)] = tuple(ids)
        self._unknown_turns.update(missing)

    # -- saving --------------------------------------------------------------------------

    def has_prefix(self, prefix: Sequence[int]) -> bool:
        return (self.store.root / entry_name(self.key, EntryKind.PREFIX, prefix)).is_file()

    def save_prefix(self, llama: Any, prefix_length: int, tokens_per_second: float | None) -> None:
        """Saves the state of the prompt just evaluated (call at its first generated token),
        unless its stable prefix is short or already saved."""
        tokens = evaluated_tokens(llama)
        self._prefix_length = prefix_length
        if prefix_length < self.min_tokens or self.has_prefix(tokens[:prefix_length]):
            return
        captured = self._capture(llama)
        if captured is None:
            return
        name = entry_name(self.key, EntryKind.PREFIX, captured.tokens[:prefix_length])
        self._write_later(name, EntryKind.PREFIX, captured, prefix_length, tokens_per_second, {})

    def save_conversation(self, llama: Any, turns: dict[TurnKey, tuple[int, ...]]) -> None:
        """Saves the state of everything the context holds, with the generated turns."""
        tokens = evaluated_tokens(llama)
        if len(tokens) < self.min_tokens:
            return
        digest = tokens_digest(tokens)
        for entry in self._entries():
            if entry.header.n_tokens == len(tokens) and entry.header.tokens_sha256 == digest:
                self.store.touch(entry.path)
                return  # already saved (nothing happened since it was restored)
        captured = self._capture(llama)
        if captured is None:
            return
        name = entry_name(self.key, EntryKind.CONVERSATION, captured.tokens)
        kept = {turn_digest(key): list(ids) for key, ids in turns.items()}
        prefix = self._prefix_length
        self._write_later(name, EntryKind.CONVERSATION, captured, prefix, None, kept)

    def _capture(self, llama: Any) -> CapturedState | None:
        size = state_size(llama)
        free = available_memory()
        if size > self.store.max_bytes or (free is not None and size > free // 2):
            if self.verbose:
                self._notice(f"prompt cache: not saving a {human_size(size)} state (too big)")
            return None
        try:
            return capture_state(llama)
        except KvStateError as exc:
            if self.verbose:
                self._notice(f"prompt cache: not saving: {exc}")
            return None

    def _write_later(
        self,
        name: str,
        kind: EntryKind,
        captured: CapturedState,
        prefix_length: int,
        tokens_per_second: float | None,
        turns: dict[str, list[int]],
    ) -> None:
        if self.verbose:
            self._notice(
                f"prompt cache: saving the state of {len(captured.tokens):,} tokens "
                f"({human_size(captured.size)}) in the background"
            )
        header = EntryHeader(
            key=self.key,
            kind=kind,
            model_name=self.model_name,
            n_tokens=len(captured.tokens),
            prefix_tokens=prefix_length,
            tokens_sha256=tokens_digest(captured.tokens),
            state_bytes=captured.size,
            state_crc32=0,  # computed by the writer, off the model's thread
            prompt_tokens_per_second=tokens_per_second,
            turns=turns,
        )
        writer = threading.Thread(
            target=self._write, args=(name, header, captured), name="devcli-prompt-cache"
        )
        writer.start()
        self._writers.append(writer)

    def _write(self, name: str, header: EntryHeader, captured: CapturedState) -> None:
        try:
            header = header.model_copy(update={"state_crc32": state_checksum(captured.data)})
            written = self.store.write(name, header, captured.tokens, captured.data)
            if header.kind is EntryKind.CONVERSATION:
                self._drop_superseded(written, captured.tokens)
        except OSError as exc:
            with self._lock:
                self._failures.append(f"prompt cache: could not save {name}: {exc}")

    def _drop_superseded(self, written: Path, tokens: list[int]) -> None:
        """A saved conversation that the new one continues is of no further use."""
        entries, _problems = self.store.entries(self.key.digest())
        for entry in entries:
            if (
                entry.path != written
                and entry.header.kind is EntryKind.CONVERSATION
                and entry.header.n_tokens < len(tokens)
                and tokens[: entry.header.n_tokens] == entry.tokens
            ):
                self.store.remove(entry.path)

    def flush(self) -> None:
        """Waits for the background writes; reports failed ones under --verbose."""
        writers, self._writers = self._writers, []
        for writer in writers:
            writer.join()
        with self._lock:
            failures, self._failures = self._failures, []
        if self.verbose:
            for failure in failures:
                self._notice(failure)


def open_prompt_cache(
    settings: Settings, plan: LoadPlan, repack: bool | None, model_name: str
) -> PromptCache | None:
    """The prompt cache for a model about to be loaded; None when the settings turn it off."""
    if not settings.prompt_cache:
        return None
    store = PromptCacheStore(prompt_cache_root(), max_cache_bytes(settings))
    return PromptCache(store, cache_key(plan, repack), model_name, verbose=settings.verbose)
