"""Keeping secrets out of session files, logs and JSON output.

Two sources: the literal values of keys devcli knows about (its configured API key, and
environment variables whose names say they are secret), and the shapes of common tokens
(cloud keys, personal access tokens, private key blocks, passwords in URLs).
"""

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from devcli.events import Event

MASK = "[REDACTED]"
MIN_SECRET_LENGTH = 8

_SECRET_NAME = re.compile(
    r"(API[_-]?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE[_-]?KEY|ACCESS[_-]?KEY)",
    re.IGNORECASE,
)
_NOT_SECRET_SUFFIXES = ("_SOCK", "_PATH", "_FILE", "_DIR", "_HOME", "_URL", "_ENDPOINT")

# (pattern, replacement); replacements keep the label so the text still reads sensibly.
_TOKEN_SHAPES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?"
            r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
            re.DOTALL,
        ),
        MASK,
    ),
    (re.compile(r"\bsk-(?:proj-|ant-|live-)?[A-Za-z0-9_-]{20,}"), MASK),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"), MASK),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"), MASK),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), MASK),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), MASK),
    (re.compile(r"\bhf_[A-Za-z0-9]{30,}"), MASK),
    (re.compile(r"\b[rs]k_(?:live|test)_[0-9A-Za-z]{20,}"), MASK),
    (re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), MASK),
    (re.compile(r"\bpypi-[A-Za-z0-9_-]{50,}"), MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), MASK),
    # user:password@ in URLs keeps the user.
    (re.compile(r"(://[^/\s:@]+:)[^/\s@]+(@)"), rf"\g<1>{MASK}\g<2>"),
    (
        re.compile(r"(?i)(authorization:\s*(?:bearer|token|basic)\s+)[A-Za-z0-9._~+/=-]{8,}"),
        rf"\g<1>{MASK}",
    ),
    # NAME=value lines as in .env files, when the name says it is a secret.
    (
        re.compile(
            r"\b([A-Z0-9_]*(?:API_?KEY|SECRET|TOKEN|PASSWORD|PASSWD)[A-Z0-9_]*\s*=\s*[\"']?)"
            r"([^\s\"'`]{8,})"
        ),
        rf"\g<1>{MASK}",
    ),
    # "password": "…" in JSON, YAML or code: a quoted literal under a secret-sounding key.
    (
        re.compile(
            r"(?i)([a-z0-9_]*(?:api_?key|secret|token|password|passwd)[\"']?\s*[:=]\s*[\"'])"
            r"([^\"'\s]{8,})(?=[\"'])"
        ),
        rf"\g<1>{MASK}",
    ),
]


def secret_values(environ: Mapping[str, str], configured: Iterable[str | None] = ()) -> list[str]:
    """Values worth hiding: configured keys, and variables named like secrets."""
    values = [v for v in configured if v]
    for name, value in environ.items():
        if not _SECRET_NAME.search(name) or name.upper().endswith(_NOT_SECRET_SUFFIXES):
            continue
        if value.startswith("/"):
            continue  # a path to a secret, not the secret
        values.append(value)
    return [v for v in values if len(v.strip()) >= MIN_SECRET_LENGTH]


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self.literals = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len)[::-1]

    def text(self, value: str) -> str:
        for literal in self.literals:
            if literal in value:
                value = value.replace(literal, MASK)
        for pattern, replacement in _TOKEN_SHAPES:
            value = pattern.sub(replacement, value)
        return value

    def data(self, value: Any) -> Any:
        """JSON-like data with every string in it redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value

    def event(self, event: Event) -> Event:
        data = event.model_dump()
        cleaned = self.data(data)
        if cleaned == data:
            return event
        return type(event).model_validate(cleaned)

    def sink(self, sink: Callable[[Event], None]) -> Callable[[Event], None]:
        """Wrap an event sink so it only ever sees redacted events."""

        def redacted(event: Event) -> None:
            sink(self.event(event))

        return redacted
