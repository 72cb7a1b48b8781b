"""Identifiers accepted by every Mistral tokenizer version and strict servers."""

import secrets
import string
import uuid

_ALPHABET = string.ascii_letters + string.digits


def new_tool_call_id() -> str:
    """Nine alphanumerics: the only shape mistral-common v3-v11 accepts."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(9))


def is_valid_tool_call_id(value: str) -> bool:
    return len(value) == 9 and all(ch in _ALPHABET for ch in value)


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]
