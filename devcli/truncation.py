"""Shortening long text for the model while keeping both ends."""

# Characters per token of code and English under Tekken-like tokenizers: a safe underestimate,
# used wherever a size in characters stands in for a size in tokens.
CHARS_PER_TOKEN = 3


def cut_middle(text: str, limit: int, already_omitted: int = 0) -> str:
    """Keep the first and last parts of `text` so the result fits in about `limit` chars.

    `already_omitted` counts characters dropped earlier from the middle of `text`, so the note
    gives the full size of the gap.
    """
    if len(text) <= limit and not already_omitted:
        return text
    half = min(limit // 2, len(text) // 2)
    head, tail = text[:half], text[len(text) - half :]
    omitted = len(text) - len(head) - len(tail) + already_omitted
    lines = text[half : len(text) - half].count("\n")
    lines_note = f"at least {lines}" if already_omitted else str(lines)
    return (
        f"{head}\n[... {omitted} characters ({lines_note} lines) cut from the middle of this "
        f"output; narrow the command (grep, head, tail) to see them ...]\n{tail}"
    )


def clip_end(text: str, limit: int, hint: str) -> str:
    """Keep the start of `text`; `hint` tells the model how to see the rest."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... output clipped at {limit} characters. {hint}]"
