"""Figures about a session, derived from its events: steps, tokens, context in use."""

from collections.abc import Iterable

from pydantic import BaseModel

from devcli.events import AssistantTurn, Condensation, Event


class SessionStats(BaseModel):
    steps: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Tokens of the whole conversation as of the latest turn; 0 when the backend reports none.
    context_used: int = 0


def stats_of(events: Iterable[Event]) -> SessionStats:
    stats = SessionStats()
    for event in events:
        if isinstance(event, AssistantTurn):
            stats.steps += 1
            stats.prompt_tokens += event.usage.prompt_tokens
            stats.completion_tokens += event.usage.completion_tokens
            used = event.usage.prompt_tokens + event.usage.completion_tokens
            if used:
                stats.context_used = used
        elif isinstance(event, Condensation) and event.tokens_after:
            stats.context_used = event.tokens_after
    return stats


def compact_count(value: int) -> str:
    if value >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return str(value)


def context_text(stats: SessionStats, window: int | None) -> str:
    if not stats.context_used:
        return "context n/a"
    if window:
        share = 100 * stats.context_used / window
        return f"context {compact_count(stats.context_used)}/{compact_count(window)} ({share:.0f}%)"
    return f"context {compact_count(stats.context_used)}"


def context_usage(stats: SessionStats, window: int | None) -> str:
    """For /status: tokens in use and the window, in full."""
    used = f"{stats.context_used} tokens" if stats.context_used else "not reported by the backend"
    return f"{used} of a {window}-token window" if window else used


def status_line(
    model: str,
    stats: SessionStats,
    window: int | None,
    tokens_per_second: float | None = None,
    approval: str | None = None,
) -> str:
    parts = [model, context_text(stats, window)]
    if tokens_per_second:
        parts.append(f"{tokens_per_second:.1f} tok/s")
    parts.append(f"{stats.steps} steps")
    if approval:
        parts.append(f"approval {approval}")
    return " · ".join(parts)
