"""Copying the KV state of a llama.cpp context's sequence 0 out, and back in.

Only the sequence's KV cells travel (`llama_state_seq_get_data` / `llama_state_seq_set_data`),
not logits or sampler state. After a restore, llama-cpp-python is told that fewer tokens are
evaluated than the next prompt has, so `generate` keeps the matching prefix, drops the rest
of the cells and evaluates at least one token before it samples: stale logits are never used.
"""

import ctypes
from collections.abc import Sequence
from typing import Any

SEQUENCE = 0


class KvStateError(RuntimeError):
    """The state could not be copied out or in; the message says why."""


class CapturedState:
    """A copy of the KV cells of `tokens`, in llama.cpp's own layout."""

    def __init__(self, tokens: list[int], data: "ctypes.Array[ctypes.c_uint8]") -> None:
        self.tokens = tokens
        self.data = data

    @property
    def size(self) -> int:
        return len(self.data)


def _positions(llama: Any) -> tuple[int, int]:
    import llama_cpp

    memory = llama_cpp.llama_get_memory(llama.ctx)
    low = int(llama_cpp.llama_memory_seq_pos_min(memory, SEQUENCE))
    high = int(llama_cpp.llama_memory_seq_pos_max(memory, SEQUENCE))
    return low, high


def _forget(llama: Any) -> None:
    """Empties the sequence and llama-cpp-python's record of it."""
    import llama_cpp

    memory = llama_cpp.llama_get_memory(llama.ctx)
    llama_cpp.llama_memory_seq_rm(memory, SEQUENCE, -1, -1)
    llama.n_tokens = 0


def evaluated_tokens(llama: Any) -> list[int]:
    """The tokens whose KV cells the context holds, as llama-cpp-python records them."""
    return [int(token) for token in llama.input_ids[: llama.n_tokens]]


def state_size(llama: Any) -> int:
    import llama_cpp

    return int(llama_cpp.llama_state_seq_get_size(llama.ctx, SEQUENCE))


def capture_state(llama: Any) -> CapturedState:
    """A copy of the evaluated tokens' KV cells. Cells past the recorded tokens (a decode cut
    short by Ctrl-C) are dropped first, so tokens and cells always agree."""
    import llama_cpp

    count = int(llama.n_tokens)
    if count <= 0:
        raise KvStateError("nothing has been evaluated")
    low, high = _positions(llama)
    if high >= count:
        memory = llama_cpp.llama_get_memory(llama.ctx)
        llama_cpp.llama_memory_seq_rm(memory, SEQUENCE, count, -1)
        low, high = _positions(llama)
    if (low, high) != (0, count - 1):
        raise KvStateError(f"the context holds positions {low}..{high}, not 0..{count - 1}")
    size = state_size(llama)
    data = (ctypes.c_uint8 * size)()
    written = int(llama_cpp.llama_state_seq_get_data(llama.ctx, data, size, SEQUENCE))
    if written != size:
        raise KvStateError(f"llama.cpp copied {written} of {size} bytes")
    return CapturedState(evaluated_tokens(llama), data)


def restore_state(llama: Any, tokens: Sequence[int], data: Any, size: int, keep: int) -> None:
    """Loads a state saved for `tokens` and records the first `keep` of them as evaluated.

    Checks that llama.cpp read the whole state and now holds exactly positions 0..n-1; on any
    failure the sequence is left empty (llama-cpp-python evaluates the whole prompt) and
    KvStateError says why.
    """
    import llama_cpp

    count = len(tokens)
    if not 0 < keep <= count:
        raise KvStateError(f"cannot keep {keep} of {count} tokens")
    if count > int(llama.n_ctx()):
        raise KvStateError(f"{count} tokens do not fit a {llama.n_ctx()}-token context")
    read = int(llama_cpp.llama_state_seq_set_data(llama.ctx, data, size, SEQUENCE))
    if read != size:
        _forget(llama)
        reason = "refused by llama.cpp" if read == 0 else f"llama.cpp read {read} of {size} bytes"
        raise KvStateError(reason)
    low, high = _positions(llama)
    if (low, high) != (0, count - 1):
        _forget(llama)
        raise KvStateError(f"restored positions {low}..{high}, expected 0..{count - 1}")
    llama.input_ids[:count] = tokens
    llama.n_tokens = keep
