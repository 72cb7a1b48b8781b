"""Keeping secrets out of session files, logs and JSON output.

Two sources: the literal values of keys devcli knows about (its configured API key, and
environment variables whose names say they are secret) with their re-encoded forms (base64,
hex, reversed), and the shapes of common tokens (cloud keys, personal access tokens, private
key blocks, passwords in URLs). Masking runs in time linear in the text.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from devcli.events import Event
from devcli.safe_text import scrub
from devcli.secret_forms import encoded_forms, wrapped_forms
from devcli.secret_shapes import MASK, mask_shapes

__all__ = ["MASK", "MIN_SECRET_LENGTH", "Redactor", "secret_values"]

MIN_SECRET_LENGTH = 8

_SECRET_NAME = re.compile(
    r"(API[_-]?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE[_-]?KEY|ACCESS[_-]?KEY)",
    re.IGNORECASE,
)
_NOT_SECRET_SUFFIXES = ("_SOCK", "_PATH", "_FILE", "_DIR", "_HOME", "_URL", "_ENDPOINT")


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
        values = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        forms = values.union(*(encoded_forms(value) for value in values))
        # Longest first, so a secret that contains another is masked whole.
        self.literals = sorted(forms, key=len, reverse=True)
        self.wrapped = [group for value in values for group in wrapped_forms(value)]
        self._last: tuple[Event, Event] | None = None

    def text(self, value: str) -> str:
        value = scrub(value)  # a file name that is not UTF-8 must not reach the output raw
        for group in self.wrapped:
            if any(probe in value for probe in group.probes):
                for variant in group.variants:
                    if variant in value:
                        value = value.replace(variant, MASK)
        for literal in self.literals:
            if literal in value:
                value = value.replace(literal, MASK)
        return mask_shapes(value)

    def data(self, value: Any) -> Any:
        """JSON-like data with every string in it redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, tuple):  # kept a tuple: an unchanged event compares equal
            return tuple(self.data(item) for item in value)
        if isinstance(value, list):
            return [self.data(item) for item in value]
        return value

    def event(self, event: Event) -> Event:
        # Every sink redacts the same event in turn: do the work once.
        if self._last is not None and self._last[0] is event:
            return self._last[1]
        data = event.model_dump()
        cleaned = self.data(data)
        redacted = event if cleaned == data else type(event).model_validate(cleaned)
        self._last = (event, redacted)
        return redacted

    def sink(self, sink: Callable[[Event], None]) -> Callable[[Event], None]:
        """Wrap an event sink so it only ever sees redacted events."""

        def redacted(event: Event) -> None:
            sink(self.event(event))

        return redacted
