"""Shortening long text for the model while keeping both ends."""


def cut_middle(text: str, limit: int) -> str:
    """Keep the first and last parts of `text` so the result fits in about `limit` chars."""
    if len(text) <= limit:
        return text
    half = limit // 2
    head, tail = text[:half], text[-half:]
    omitted = len(text) - len(head) - len(tail)
    lines = text[half : len(text) - half].count("\n")
    return (
        f"{head}\n[... {omitted} characters ({lines} lines) cut from the middle of this output; "
        f"narrow the command (grep, head, tail) to see them ...]\n{tail}"
    )


def clip_end(text: str, limit: int, hint: str) -> str:
    """Keep the start of `text`; `hint` tells the model how to see the rest."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... output clipped at {limit} characters. {hint}]"
