"""The forms a known secret value takes when a command re-encodes it.

`echo $KEY | base64`, `printenv KEY | rev` or `xxd -p <<< $KEY` print the secret in another
alphabet. For each value devcli masks, these forms are masked as well: the value reversed, in
lower- and upper-case hex, and in standard and URL-safe base64 at each of the three byte
offsets the value can start at within the encoded stream (only the part of the encoding that
depends on the value alone), also as `base64` and `xxd -p` wrap it at the start of a stream.
"""

import base64
from collections.abc import Callable

MIN_FORM_LENGTH = 8  # shorter encodings would mask ordinary text
_BASE64_WIDTH = 76  # coreutils `base64` wraps its lines here
_HEX_WIDTH = 60  # `xxd -p` writes 30 bytes per line

Encoder = Callable[[bytes], bytes]


def _stable_base64(raw: bytes, offset: int, encode: Encoder) -> str:
    """The base64 characters that depend only on `raw` when it starts `offset` bytes into
    the encoded stream (0, 1 or 2)."""
    encoded = encode(b"\0" * offset + raw).decode("ascii")
    lead = 0 if offset == 0 else 3 - offset  # value bytes shared with the first group
    start = 0 if offset == 0 else 4
    groups = (len(raw) - lead) // 3
    return encoded[start : start + 4 * groups]


def _wrapped(text: str, width: int) -> str:
    return "\n".join(text[index : index + width] for index in range(0, len(text), width))


def encoded_forms(secret: str) -> set[str]:
    """The secret's re-encoded forms (the secret itself not included)."""
    raw = secret.encode("utf-8", errors="surrogatepass")
    forms = {secret[::-1], raw.hex(), raw.hex().upper()}
    forms.add(_wrapped(raw.hex(), _HEX_WIDTH))
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in (0, 1, 2):
            core = _stable_base64(raw, offset, encode)
            forms.add(core)
            if offset == 0:
                forms.add(_wrapped(core, _BASE64_WIDTH))
    return {form for form in forms if len(form) >= MIN_FORM_LENGTH and form != secret}
