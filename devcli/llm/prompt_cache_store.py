"""Saved KV states of local models on disk: the prompt cache's files, their format and bounds.

One file per entry, written to a temporary name and renamed, so a reader never sees half a
file. A file holds a header (what model and runtime made it, how many tokens), the token ids
the state covers and llama.cpp's state of those tokens, with a checksum. A file that cannot be
used for any reason is reported as an `EntryProblem`; the caller deletes it.

Recency is the file's modification time (touched on every use); when the files exceed the
size bound, the least recently used go first. Nothing here imports llama.cpp.
"""

import array
import contextlib
import ctypes
import hashlib
import mmap
import os
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from devcli.events import utc_now

FORMAT_VERSION = 1
MAGIC = b"devcliKV"
SUFFIX = ".kvstate"
_FIXED = struct.Struct("<8sIII")  # magic, format version, header length, header crc32
_MAX_HEADER = 64 * 1024 * 1024
_STALE_TEMP_SECONDS = 3600.0
T = TypeVar("T")


class CacheKey(BaseModel):
    """Everything a saved state depends on besides the tokens: a state is used only by the very
    same model file, runtime build and context layout."""

    model_config = ConfigDict(frozen=True)

    model_path: str
    model_size: int
    model_mtime_ns: int
    runtime_version: str
    runtime_build: str  # a digest of the runtime's system info (CPU features, backends)
    n_ctx: int
    type_k: str
    type_v: str
    flash_attn: bool
    n_gpu_layers: int
    repack: bool | None

    def digest(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


class EntryKind(StrEnum):
    PREFIX = "prefix"  # a conversation's first prompt: system prompt, tools, instructions, task
    CONVERSATION = "conversation"  # a whole conversation, saved when a run or the REPL ends


class EntryHeader(BaseModel):
    format: int = FORMAT_VERSION
    key: CacheKey
    kind: EntryKind
    model_name: str
    n_tokens: int
    prefix_tokens: int  # the stable prefix (before the first user message) among them
    tokens_sha256: str
    state_bytes: int
    state_crc32: int
    created: str = Field(default_factory=utc_now)
    # How fast this machine evaluated the prompt when it was saved: what a restore saves.
    prompt_tokens_per_second: float | None = None
    # The tokens the model generated for assistant turns, by turn digest, so a resumed
    # conversation is written back exactly as the model saw it.
    turns: dict[str, list[int]] = Field(default_factory=dict)


class CachedEntry(BaseModel):
    path: Path
    header: EntryHeader
    tokens: list[int]
    size: int
    last_used: float
    state_offset: int


class EntryProblem(Exception):
    """A cache file that cannot be used; the message says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.name}: {reason}")
        self.path = path
        self.reason = reason


class PromptCacheSummary(BaseModel):
    """Where the prompt cache is and how much it holds (for `devcli doctor` and `cache list`)."""

    location: Path
    enabled: bool
    entries: int
    total_bytes: int
    max_bytes: int
    unreadable: int = 0


def tokens_bytes(tokens: Sequence[int]) -> bytes:
    packed = array.array("i", tokens)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def _tokens_from(data: bytes) -> list[int]:
    packed = array.array("i")
    packed.frombytes(data)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tolist()


def tokens_digest(tokens: Sequence[int]) -> str:
    return hashlib.sha256(tokens_bytes(tokens)).hexdigest()


def entry_name(key: CacheKey, kind: EntryKind, tokens: Sequence[int]) -> str:
    """The file name of an entry: the key, the kind and the tokens it is known by (the stable
    prefix for a prefix entry, every token for a conversation)."""
    return f"{key.digest()}-{kind.value}-{tokens_digest(tokens)[:20]}{SUFFIX}"


def state_checksum(data: Any) -> int:
    return zlib.crc32(memoryview(data).cast("B"))


class PromptCacheStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        # Entries read before, by file and (size, modification time): a lookup before every
        # turn then reads only files that are new or were touched since.
        self._known: dict[Path, tuple[tuple[int, int], CachedEntry]] = {}

    # -- reading -----------------------------------------------------------------------

    def read_entry(self, path: Path) -> CachedEntry:
        """The header and tokens of one file; raises EntryProblem when they do not check out.
        The state itself is checked when it is used (`with_state`)."""
        try:
            with path.open("rb") as handle:
                stat = os.fstat(handle.fileno())
                fixed = handle.read(_FIXED.size)
                if len(fixed) < _FIXED.size:
                    raise EntryProblem(path, "truncated (no header)")
                magic, version, header_length, header_crc = _FIXED.unpack(fixed)
                if magic != MAGIC:
                    raise EntryProblem(path, "not a devcli prompt cache file")
                if version != FORMAT_VERSION:
                    raise EntryProblem(path, f"written in format {version}, not {FORMAT_VERSION}")
                if header_length > _MAX_HEADER:
                    raise EntryProblem(path, "corrupt header")
                raw = handle.read(header_length)
                if len(raw) < header_length:
                    raise EntryProblem(path, "truncated header")
                if zlib.crc32(raw) != header_crc:
                    raise EntryProblem(path, "corrupt header")
                try:
                    header = EntryHeader.model_validate_json(raw)
                except ValidationError as exc:
                    raise EntryProblem(path, "corrupt header") from exc
                token_data = handle.read(4 * header.n_tokens)
        except OSError as exc:
            raise EntryProblem(path, f"cannot be read ({exc.strerror or exc})") from exc
        if len(token_data) < 4 * header.n_tokens:
            raise EntryProblem(path, "truncated token list")
        if hashlib.sha256(token_data).hexdigest() != header.tokens_sha256:
            raise EntryProblem(path, "corrupt token list")
        offset = _FIXED.size + header_length + 4 * header.n_tokens
        if stat.st_size != offset + header.state_bytes:
            raise EntryProblem(
                path, f"truncated ({stat.st_size} bytes, {offset + header.state_bytes} expected)"
            )
        return CachedEntry(
            path=path,
            header=header,
            tokens=_tokens_from(token_data),
            size=stat.st_size,
            last_used=stat.st_mtime,
            state_offset=offset,
        )

    def files(self, key_digest: str | None = None) -> list[Path]:
        pattern = f"{key_digest}-*{SUFFIX}" if key_digest else f"*{SUFFIX}"
        try:
            return sorted(p for p in self.root.glob(pattern) if not p.name.startswith("."))
        except OSError:
            return []

    def entries(
        self, key_digest: str | None = None
    ) -> tuple[list[CachedEntry], list[EntryProblem]]:
        found: list[CachedEntry] = []
        problems: list[EntryProblem] = []
        for path in self.files(key_digest):
            try:
                stat = path.stat()
                signature = (stat.st_size, stat.st_mtime_ns)
                known = self._known.get(path)
                if known is not None and known[0] == signature:
                    found.append(known[1])
                    continue
                entry = self.read_entry(path)
                self._known[path] = (signature, entry)
                found.append(entry)
            except FileNotFoundError:
                continue  # evicted meanwhile
            except EntryProblem as problem:
                if path.exists():
                    problems.append(problem)
        return found, problems

    def with_state(self, entry: CachedEntry, use: Callable[[Any, int], T]) -> T:
        """Calls `use(buffer, size)` with the entry's state mapped into memory, after checking
        its length and checksum. The buffer is valid only during the call."""
        size = entry.header.state_bytes
        try:
            with entry.path.open("rb") as handle:
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
        except (OSError, ValueError) as exc:
            raise EntryProblem(entry.path, f"cannot be read ({exc})") from exc
        try:
            if len(mapped) != entry.state_offset + size:
                raise EntryProblem(entry.path, "truncated state")
            with memoryview(mapped) as view:
                if zlib.crc32(view[entry.state_offset :]) != entry.header.state_crc32:
                    raise EntryProblem(entry.path, "corrupt state (checksum mismatch)")
            buffer = (ctypes.c_uint8 * size).from_buffer(mapped, entry.state_offset)
            try:
                return use(buffer, size)
            finally:
                del buffer
        finally:
            with contextlib.suppress(BufferError):
                mapped.close()

    # -- writing -----------------------------------------------------------------------

    def write(self, name: str, header: EntryHeader, tokens: Sequence[int], state: Any) -> Path:
        """Writes an entry atomically (temporary file, then rename) and evicts what the size
        bound no longer allows. Raises OSError."""
        self.root.mkdir(parents=True, exist_ok=True)
        header_bytes = header.model_dump_json().encode()
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=SUFFIX)
        try:
            with os.fdopen(handle, "wb") as out:
                fixed = _FIXED.pack(
                    MAGIC, FORMAT_VERSION, len(header_bytes), zlib.crc32(header_bytes)
                )
                out.write(fixed)
                out.write(header_bytes)
                out.write(tokens_bytes(tokens))
                out.write(memoryview(state).cast("B"))
            target = self.root / name
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        self.evict(keep=target)
        return target

    def touch(self, path: Path) -> None:
        """Marks an entry as just used (least recently used entries are evicted first)."""
        with contextlib.suppress(OSError):
            os.utime(path)

    def remove(self, path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()

    def evict(self, keep: Path | None = None) -> list[Path]:
        """Deletes least recently used entries until the files fit the bound; `keep` is spared
        unless it alone is too big. Also sweeps temporary files left by crashed writers."""
        now = time.time()
        sized: list[tuple[float, int, Path]] = []
        try:
            listing = list(self.root.iterdir())
        except OSError:
            return []
        for path in listing:
            try:
                stat = path.stat()
            except OSError:
                continue
            if path.name.startswith(".tmp-"):
                if now - stat.st_mtime > _STALE_TEMP_SECONDS:
                    self.remove(path)
                continue
            if path.suffix == SUFFIX:
                sized.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in sized)
        removed: list[Path] = []
        for _, size, path in sorted(sized, key=lambda item: (item[2] == keep, item[0])):
            if total <= self.max_bytes:
                break
            self.remove(path)
            removed.append(path)
            total -= size
        return removed

    def clear(self) -> tuple[int, int]:
        """Deletes every entry (and any temporary file); returns how many entries and bytes
        went."""
        count = freed = 0
        try:
            listing = list(self.root.iterdir())
        except OSError:
            return 0, 0
        for path in listing:
            if path.suffix != SUFFIX:
                continue
            try:
                size = path.stat().st_size
                path.unlink()
            except OSError:
                continue
            if not path.name.startswith("."):
                count += 1
                freed += size
        return count, freed

    def summary(self, enabled: bool) -> PromptCacheSummary:
        entries, problems = self.entries()
        return PromptCacheSummary(
            location=self.root,
            enabled=enabled,
            entries=len(entries),
            total_bytes=sum(entry.size for entry in entries),
            max_bytes=self.max_bytes,
            unreadable=len(problems),
        )
