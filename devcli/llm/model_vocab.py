"""Token text straight from a loaded llama.cpp vocabulary, without llama-cpp-python's detokeniser.

That detokeniser drops control tokens and silently loses any token longer than its 32-byte
buffer (Tekken has dozens: long runs of spaces), which would corrupt indented code. Here the
buffer grows to whatever a token needs, and each token's bytes are computed once.
"""

import ctypes
from typing import Any

_FIRST_BUFFER = 64


class LlamaPieces:
    """Bytes of each token of a llama.cpp model; control tokens render as their names."""

    def __init__(self, llama: Any) -> None:
        import llama_cpp

        self._lib = llama_cpp
        self._vocab = llama_cpp.llama_model_get_vocab(llama.model)
        self._cache: dict[int, bytes] = {}
        self.eos_id = int(llama.token_eos())

    def piece(self, token: int) -> bytes:
        cached = self._cache.get(token)
        if cached is None:
            cached = self._cache[token] = self._render(token)
        return cached

    def _render(self, token: int) -> bytes:
        size = _FIRST_BUFFER
        while True:
            buffer = ctypes.create_string_buffer(size)
            written = self._lib.llama_token_to_piece(self._vocab, token, buffer, size, 0, True)
            if written >= 0:
                return buffer.raw[:written]
            size = -written  # the buffer was too small; this is the size it needs

    def is_control(self, token: int) -> bool:
        return bool(self._lib.llama_vocab_is_control(self._vocab, token))

    def is_end_of_generation(self, token: int) -> bool:
        return bool(self._lib.llama_vocab_is_eog(self._vocab, token))

    def token_id(self, text: str) -> int | None:
        """The id of a control token written as text, if the vocabulary has it."""
        for token in range(min(self.vocab_size, 2048)):
            if self.is_control(token) and self.piece(token) == text.encode():
                return token
        return None

    @property
    def vocab_size(self) -> int:
        return int(self._lib.llama_vocab_n_tokens(self._vocab))
