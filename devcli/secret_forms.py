"""The forms a known secret value takes when a command re-encodes it.

`echo $KEY | base64`, `printenv KEY | rev` or `xxd -p <<< $KEY` print the secret in another
alphabet. For each value devcli masks, these forms are masked as well: the value reversed, in
lower- and upper-case hex, and in standard and URL-safe base64 at each of the three byte
offsets the value can start at within the encoded stream (only the part of the encoding that
depends on the value alone).

`base64` and `xxd -p` also wrap long output (standard base64, lower-case hex) into lines;
where the lines break depends on what came before the value. Those variants are many, so
they are looked for only in text that holds one of two short probes, one of which every
variant keeps whole on one line.
"""

import base64
from collections.abc import Callable
from dataclasses import dataclass

MIN_FORM_LENGTH = 8  # shorter encodings would mask ordinary text
_BASE64_WIDTH = 76  # coreutils `base64` wraps its lines here
_HEX_WIDTH = 60  # `xxd -p` writes 30 bytes per line
_PROBE = 16

Encoder = Callable[[bytes], bytes]


@dataclass(frozen=True)
class WrappedForms:
    probes: tuple[str, ...]  # any text holding a variant holds one of these
    variants: tuple[str, ...]  # the encoding with line breaks, at every place they can fall


def _stable_base64(raw: bytes, offset: int, encode: Encoder) -> str:
    """The base64 characters that depend only on `raw` when it starts `offset` bytes into
    the encoded stream (0, 1 or 2)."""
    encoded = encode(b"\0" * offset + raw).decode("ascii")
    lead = 0 if offset == 0 else 3 - offset  # value bytes shared with the first group
    start = 0 if offset == 0 else 4
    groups = (len(raw) - lead) // 3
    return encoded[start : start + 4 * groups]


def _base64_cores(raw: bytes) -> set[str]:
    return {
        _stable_base64(raw, offset, encode)
        for encode in (base64.b64encode, base64.urlsafe_b64encode)
        for offset in (0, 1, 2)
    }


def encoded_forms(secret: str) -> set[str]:
    """The secret's re-encoded forms on one line (the secret itself not included)."""
    raw = secret.encode("utf-8", errors="surrogatepass")
    forms = {secret[::-1], raw.hex(), raw.hex().upper(), *_base64_cores(raw)}
    return {form for form in forms if len(form) >= MIN_FORM_LENGTH and form != secret}


def _broken(text: str, width: int, phase: int) -> str:
    """`text` as a tool writing `width` columns breaks it, starting `phase` columns in."""
    pieces: list[str] = []
    start = 0
    end = width - phase
    while end < len(text):
        pieces.append(text[start:end])
        start, end = end, end + width
    pieces.append(text[start:])
    return "\n".join(pieces)


def wrapped_forms(secret: str) -> list[WrappedForms]:
    """The base64 and hex forms as `base64` and `xxd -p` break them into lines."""
    raw = secret.encode("utf-8", errors="surrogatepass")
    found: list[WrappedForms] = []
    # The tools that wrap write standard base64 and lower-case hex.
    cores = {_stable_base64(raw, offset, base64.b64encode) for offset in (0, 1, 2)}
    kinds = [(core, _BASE64_WIDTH, 4) for core in cores] + [(raw.hex(), _HEX_WIDTH, 2)]
    for form, width, step in kinds:
        if len(form) < MIN_FORM_LENGTH:
            continue
        variants = {_broken(form, width, phase) for phase in range(0, width, step)}
        variants = {variant for variant in variants if "\n" in variant}
        if variants:
            # A first line of 16 or more characters holds the first probe; a shorter one
            # (at most 16 - step) leaves the second probe whole on the next line.
            probes = (form[:_PROBE], form[_PROBE - step : 2 * _PROBE - step])
            found.append(WrappedForms(probes, tuple(sorted(variants))))
    return found
