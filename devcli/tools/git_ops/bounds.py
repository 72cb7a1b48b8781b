"""Keeping git's answers inside the observation budget while saying what was left out."""

from collections.abc import Callable

OBSERVATION_BUDGET = 30_000
LONG_LINE = 2_000


def clip_long_lines(text: str, limit: int = LONG_LINE) -> str:
    """Shorten single lines (minified code, data) that would crowd out everything else."""
    if all(len(line) <= limit for line in text.split("\n")):
        return text
    lines = []
    for line in text.split("\n"):
        if len(line) > limit:
            line = line[:limit] + f" [... {len(line) - limit} more characters on this line]"
        lines.append(line)
    return "\n".join(lines)


def split_for_cut(text: str, limit: int) -> tuple[str, list[str], str]:
    """Whole lines from the start and the end of `text`, each part within `limit // 2`
    characters, and the lines between them."""
    lines = text.splitlines(keepends=True)
    half = max(limit // 2, 0)
    head_end, size = 0, 0
    while head_end < len(lines) and size + len(lines[head_end]) <= half:
        size += len(lines[head_end])
        head_end += 1
    tail_start, size = len(lines), 0
    while tail_start > head_end and size + len(lines[tail_start - 1]) <= half:
        tail_start -= 1
        size += len(lines[tail_start])
    head = "".join(lines[:head_end])
    if head and not head.endswith("\n"):
        head += "\n"
    return head, lines[head_end:tail_start], "".join(lines[tail_start:])


def cut_lines(text: str, limit: int, describe_gap: Callable[[list[str]], str]) -> str:
    """Keep whole lines from both ends of `text` within about `limit` characters.

    The dropped lines are handed to `describe_gap`, whose one-line note replaces them.
    """
    if len(text) <= limit:
        return text
    head, gap, tail = split_for_cut(text, limit)
    return f"{head}{describe_gap(gap)}\n{tail}"


def name_some(names: list[str], most: int = 8) -> str:
    """`a`, `b` and 3 more."""
    shown = [f"`{name}`" for name in names[:most]]
    rest = len(names) - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) > 1:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return "".join(shown)


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"
