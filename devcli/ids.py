"""Identifiers accepted by every Mistral tokenizer version and strict servers."""

import hashlib
import secrets
import string
import uuid

_ALPHABET = string.ascii_letters + string.digits
_CALL_ID_LENGTH = 9


def new_tool_call_id() -> str:
    """Nine alphanumerics: the only shape mistral-common v3-v11 accepts."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(_CALL_ID_LENGTH))


def is_valid_tool_call_id(value: str) -> bool:
    return len(value) == _CALL_ID_LENGTH and all(ch in _ALPHABET for ch in value)


def stable_tool_call_id(value: str) -> str:
    """A valid id as it is; any other mapped to a valid one derived from it, so the same
    input always gives the same id (a call and its result keep matching)."""
    if is_valid_tool_call_id(value):
        return value
    number = int.from_bytes(hashlib.sha256(value.encode()).digest()[:8], "big")
    chars = []
    for _ in range(_CALL_ID_LENGTH):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]
