"""Token ids to text, one token at a time, without splitting multi-byte characters."""

import codecs
from collections.abc import Iterable
from typing import Protocol


class TokenPieces(Protocol):
    """The bytes of each token of a vocabulary; control tokens give their name."""

    def piece(self, token: int) -> bytes: ...

    def is_control(self, token: int) -> bool: ...


class Utf8Stream:
    """Bytes in, text out; a character split across tokens comes out once it is complete."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def add(self, data: bytes) -> str:
        return self._decoder.decode(data)

    def flush(self) -> str:
        return self._decoder.decode(b"", final=True)


def decode_tokens(pieces: TokenPieces, tokens: Iterable[int], keep_control: bool = False) -> str:
    data = b"".join(
        pieces.piece(token) for token in tokens if keep_control or not pieces.is_control(token)
    )
    return data.decode("utf-8", errors="replace")
