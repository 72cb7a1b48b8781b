"""Which sessions' checkpoints `devcli checkpoints prune` removes."""

from collections.abc import Sequence

from devcli.checkpoints.store import Checkpoint

DAY_SECONDS = 86_400


def sessions_to_prune(
    checkpoints: Sequence[Checkpoint], now: float, older_than_days: float, keep: int
) -> list[str]:
    """Sessions whose newest checkpoint is older than the limit, sparing the `keep` newest."""
    newest: dict[str, int] = {}
    for checkpoint in checkpoints:
        newest[checkpoint.session] = max(newest.get(checkpoint.session, 0), checkpoint.created)
    by_age = sorted(newest, key=lambda session: newest[session], reverse=True)
    cutoff = now - older_than_days * DAY_SECONDS
    return [session for session in by_age[keep:] if newest[session] < cutoff]
