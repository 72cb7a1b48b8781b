"""What a run's turns say about its prompts: tokens evaluated, tokens restored from the prompt
cache, and the wait for the first token; read from the turns' usage, for summaries and /status."""

from collections.abc import Sequence
from typing import Any

from devcli.events import AssistantTurn, Event


def _total(values: Sequence[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def prompt_cache_figures(turns: Sequence[AssistantTurn]) -> dict[str, Any]:
    """`prompt_tokens_evaluated`, `prompt_tokens_restored` (None where the backend does not
    say, as remote servers do not) and the first turn's `first_token_seconds`."""
    return {
        "prompt_tokens_evaluated": _total([t.usage.prompt_evaluated for t in turns]),
        "prompt_tokens_restored": _total([t.usage.prompt_restored for t in turns]),
        "first_token_seconds": turns[0].usage.first_token_seconds if turns else None,
    }


def _duration(seconds: float) -> str:
    if seconds < 0.1:
        return f"{max(seconds * 1000, 1):.0f} ms"
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


def describe_restore(tokens: int, seconds: float, saved_seconds: float | None = None) -> str:
    """The line shown when a prompt came from the cache, e.g. "3,120 prompt tokens restored from
    cache in 0.3 s", with what evaluating them took when that is known."""
    text = f"{tokens:,} prompt tokens restored from cache in {_duration(seconds)}"
    if saved_seconds is not None and saved_seconds > seconds:
        text += f" (evaluating them took {_duration(saved_seconds)})"
    return text


def last_restore_text(events: Sequence[Event]) -> str | None:
    """For /status: the latest turn whose prompt came partly from the prompt cache."""
    for event in reversed(events):
        if isinstance(event, AssistantTurn) and event.usage.prompt_restored:
            return describe_restore(event.usage.prompt_restored, event.usage.restore_seconds or 0)
    return None
