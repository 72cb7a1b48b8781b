"""The shapes of common secrets (cloud keys, access tokens, private keys, passwords in URLs or
assignments), found in time linear in the text.

Every pattern starts with literal text (or a small set of letters), so the regular-expression
engine skips ahead to where that text occurs instead of trying every position; a word boundary
before a token is checked afterwards with a look-behind. No pattern can rescan the same
characters from many starting points: every repetition that could run long is either capped
or consumes what it reads. Patterns for names in any case run on the lowered text (same
positions) and the masks are applied to the original.
"""

import re
from dataclasses import dataclass

MASK = "[REDACTED]"


@dataclass(frozen=True)
class Shape:
    pattern: re.Pattern[str]
    keep: tuple[int, ...] = ()  # groups kept around the mask: (before,) or (before, after)
    lowered: bool = False  # the pattern reads the lowered text


def _token(prefix: str, rest: str) -> Shape:
    """A token: `prefix` (literal text, maybe with a class) with no word character before it."""
    return Shape(re.compile(rf"{prefix}(?<!\w{prefix}){rest}"))


SHAPES: tuple[Shape, ...] = (
    # A private key block; one cut short (no END line) loses its body.
    Shape(
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"
            r"(?:.{0,16384}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|[A-Za-z0-9+/=\s]*)",
            re.DOTALL,
        )
    ),
    _token("sk", r"(?:-(?:proj-|ant-|live-)?[A-Za-z0-9_-]{20,}|_(?:live|test)_[0-9A-Za-z]{20,})"),
    _token("gh", r"[pousr]_[A-Za-z0-9]{30,}"),
    _token("github_pat_", r"[A-Za-z0-9_]{22,}"),
    _token("glpat-", r"[A-Za-z0-9_-]{20,}"),
    _token("AKIA", r"[0-9A-Z]{16}(?!\w)"),
    _token("ASIA", r"[0-9A-Z]{16}(?!\w)"),
    _token("xox", r"[abposr]-[A-Za-z0-9-]{10,}"),
    _token("AIza", r"[0-9A-Za-z_-]{35}"),
    _token("hf_", r"[A-Za-z0-9]{30,}"),
    _token("rk_(?:live|test)_", r"[0-9A-Za-z]{20,}"),
    _token("npm_", r"[A-Za-z0-9]{36}(?!\w)"),
    _token("pypi-", r"[A-Za-z0-9_-]{50,}"),
    _token("eyJ", r"[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    # user:password@ in URLs keeps the user.
    Shape(re.compile(r"(://[^/\s:@]{1,256}:)[^/\s@]{1,256}(@)"), keep=(1, 2)),
    Shape(
        re.compile(
            r"(authorization:[ \t]{0,16}(?:bearer|token|basic)[ \t]{1,16})[a-z0-9._~+/=-]{8,}"
        ),
        keep=(1,),
        lowered=True,
    ),
)

# Names that say a value is a secret, as `NAME=value` in .env files (upper case) and as
# `"name": "value"` in JSON, YAML or code (any case). One pattern per name keeps a literal
# start; what comes before the name stays in the text either way.
_SECRET_NAMES = ("API_KEY", "APIKEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD")
SHAPES += tuple(
    Shape(
        re.compile(rf"({name}[A-Z0-9_]{{0,64}}[ \t]{{0,16}}=[ \t]{{0,16}}[\"']?)[^\s\"'`]{{8,}}"),
        keep=(1,),
    )
    for name in _SECRET_NAMES
)
SHAPES += tuple(
    Shape(
        re.compile(
            rf"({name.lower()}[\"']?[ \t]{{0,16}}[:=][ \t]{{0,16}}[\"'])[^\"'\s]{{8,}}(?=[\"'])"
        ),
        keep=(1,),
        lowered=True,
    )
    for name in _SECRET_NAMES
)


# Text every shape starts with, lowered; a text holding none of them needs no masking, which
# these few memory-speed searches tell faster than running every pattern.
_STARTS = tuple(
    start.lower()
    for start in (
        "-----BEGIN ", "sk-", "sk_", "rk_", "gh", "glpat-", "AKIA", "ASIA", "xox", "AIza",
        "hf_", "npm_", "pypi-", "eyJ", "://", "authorization:", *_SECRET_NAMES,
    )
)  # fmt: skip
_SHORT = 65_536


def _masked(text: str, found: re.Match[str], keep: tuple[int, ...]) -> str:
    before = text[found.start(keep[0]) : found.end(keep[0])] if keep else ""
    after = text[found.start(keep[1]) : found.end(keep[1])] if len(keep) > 1 else ""
    return before + MASK + after


def mask_shapes(text: str) -> str:
    """`text` with every secret of a known shape masked (the same object when none is found)."""
    lowered = text.lower()
    if len(text) < _SHORT and not any(start in lowered for start in _STARTS):
        return text  # most texts are short and hold no start at all
    if len(lowered) != len(text):  # a few characters (`İ`) change length when lowered
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    spans: list[tuple[int, int, str]] = []
    for shape in SHAPES:
        haystack = lowered if shape.lowered else text
        spans.extend(
            (found.start(), found.end(), _masked(text, found, shape.keep))
            for found in shape.pattern.finditer(haystack)
        )
    if not spans:
        return text
    spans.sort()
    pieces: list[str] = []
    done = 0
    for start, end, replacement in spans:
        if start < done:
            continue  # overlaps an earlier mask
        pieces += [text[done:start], replacement]
        done = end
    return "".join([*pieces, text[done:]])
