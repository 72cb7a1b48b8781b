"""The prompt cache's files without a model: format, checks, atomic writes, the size bound."""

import os
import re
import time
from pathlib import Path

import pytest

from devcli.llm.prompt_cache_store import (
    CacheKey,
    EntryHeader,
    EntryKind,
    EntryProblem,
    PromptCacheStore,
    entry_name,
    state_checksum,
    tokens_digest,
)

KEY = CacheKey(
    model_path="/models/a.gguf",
    model_size=1000,
    model_mtime_ns=1,
    runtime_version="0.3.36",
    runtime_build="build",
    n_ctx=4096,
    type_k="q8_0",
    type_v="f16",
    flash_attn=False,
    n_gpu_layers=0,
    repack=True,
)


def _write(store: PromptCacheStore, tokens: list[int], state: bytes) -> Path:
    header = EntryHeader(
        key=KEY,
        kind=EntryKind.PREFIX,
        model_name="a.gguf",
        n_tokens=len(tokens),
        prefix_tokens=len(tokens),
        tokens_sha256=tokens_digest(tokens),
        state_bytes=len(state),
        state_crc32=state_checksum(state),
    )
    return store.write(entry_name(KEY, EntryKind.PREFIX, tokens), header, tokens, state)


def _read_state(store: PromptCacheStore, path: Path) -> bytes:
    return store.with_state(store.read_entry(path), lambda data, size: bytes(data)[:size])


def test_an_entry_reads_back_exactly(tmp_path: Path) -> None:
    store = PromptCacheStore(tmp_path, max_bytes=10**6)
    tokens = [1, 5, 70000, 2**31 - 1]
    path = _write(store, tokens, b"state bytes" * 10)
    entry = store.read_entry(path)
    assert entry.tokens == tokens
    assert entry.header.key == KEY
    assert _read_state(store, path) == b"state bytes" * 10
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: data[:10], "truncated (no header)"),
        (lambda data: data[: len(data) - 5], "truncated ("),
        (lambda data: b"notdevcl" + data[8:], "not a devcli prompt cache file"),
        (lambda data: data[:20] + b"#" + data[21:], "corrupt header"),
    ],
)
def test_a_damaged_file_is_a_problem_not_a_crash(
    tmp_path: Path, damage: object, reason: str
) -> None:
    store = PromptCacheStore(tmp_path, max_bytes=10**6)
    path = _write(store, list(range(50)), os.urandom(4000))
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    with pytest.raises(EntryProblem, match=re.escape(reason)):
        store.read_entry(path)
    entries, problems = store.entries()
    assert entries == [] and [p.path for p in problems] == [path]


def test_a_flipped_byte_in_the_state_fails_the_checksum(tmp_path: Path) -> None:
    store = PromptCacheStore(tmp_path, max_bytes=10**6)
    path = _write(store, list(range(50)), os.urandom(4000))
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01
    path.write_bytes(bytes(data))
    entry = store.read_entry(path)  # header and tokens are intact
    with pytest.raises(EntryProblem, match="checksum"):
        store.with_state(entry, lambda data, size: None)


def test_a_flipped_token_fails_the_token_digest(tmp_path: Path) -> None:
    store = PromptCacheStore(tmp_path, max_bytes=10**6)
    path = _write(store, list(range(50)), os.urandom(400))
    data = bytearray(path.read_bytes())
    data[-400 - 4 * 10] ^= 0x01  # inside the token list
    path.write_bytes(bytes(data))
    with pytest.raises(EntryProblem, match="corrupt token list"):
        store.read_entry(path)


def test_the_size_bound_evicts_the_least_recently_used(tmp_path: Path) -> None:
    store = PromptCacheStore(tmp_path, max_bytes=3500)
    first = _write(store, [1] * 10, os.urandom(1000))
    second = _write(store, [2] * 10, os.urandom(1000))
    past = time.time() - 100
    os.utime(first, (past, past))
    os.utime(second, (past + 10, past + 10))
    store.touch(first)  # used just now: `second` is now the least recently used
    third = _write(store, [3] * 10, os.urandom(1000))
    assert first.exists() and third.exists()
    assert not second.exists()
    assert store.summary(enabled=True).total_bytes <= 3500


def test_an_entry_bigger_than_the_bound_does_not_stay(tmp_path: Path) -> None:
    store = PromptCacheStore(tmp_path, max_bytes=500)
    path = _write(store, [1] * 10, os.urandom(1000))
    assert not path.exists()


def test_stale_temporary_files_are_swept_and_clear_empties(tmp_path: Path) -> None:
    store = PromptCacheStore(tmp_path, max_bytes=10**6)
    stale = tmp_path / ".tmp-crashed.kvstate"
    stale.write_bytes(b"half")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    kept = _write(store, [1] * 10, os.urandom(100))
    assert not stale.exists() and kept.exists()
    size = kept.stat().st_size
    assert store.clear() == (1, size)
    assert list(tmp_path.iterdir()) == []
    assert store.summary(enabled=True).entries == 0
