"""Detects a model that repeats itself instead of making progress.

Only the last few steps matter, so each check reads the tail of the session, and a turn's
normalised action is computed once: the cost per step stays flat however long the session.
"""

import json
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from devcli.agent.per_event import PerObject
from devcli.events import AssistantTurn, Event, Observation, UserMessage

# The longest pattern looked for spans this many steps.
WATCHED_STEPS = 6


class Step(BaseModel):
    action: str  # the calls (or the text, when there is no call), normalised
    observation: str
    is_error: bool


def _action(turn: AssistantTurn) -> str:
    calls = [
        (c.name, c.raw_arguments or json.dumps(c.arguments, sort_keys=True))
        for c in turn.tool_calls
    ]
    return json.dumps(calls) if calls else "text:" + turn.content.strip()


_action_of = PerObject(_action)


def steps_of(events: Sequence[Event]) -> list[Step]:
    """The steps since the last real user message, oldest first."""
    results = {e.tool_call_id: e for e in events if isinstance(e, Observation)}
    steps: list[Step] = []
    for event in events:
        if isinstance(event, UserMessage) and not event.synthetic:
            steps.clear()
        if not isinstance(event, AssistantTurn):
            continue
        action = _action_of(event)
        observed = [results[c.id] for c in event.tool_calls if c.id in results]
        steps.append(
            Step(
                action=action,
                observation="\n".join(r.content for r in observed),
                is_error=any(r.is_error for r in observed),
            )
        )
    return steps


def recent_steps(events: Sequence[Event], count: int = WATCHED_STEPS) -> list[Step]:
    """The last `count` steps since the last real user message, read from the tail only."""
    start = len(events)
    found = 0
    while start > 0 and found < count:
        event = events[start - 1]
        if isinstance(event, UserMessage) and not event.synthetic:
            break
        start -= 1
        found += isinstance(event, AssistantTurn)
    return steps_of(events[start:])


def stuck_reason(events: Sequence[Event]) -> str | None:
    return reason_for(recent_steps(events))


def reason_for(steps: list[Step]) -> str | None:
    """Why these steps (oldest first) look stuck, or None."""
    if _same_tail(steps, 4, lambda s: (s.action, s.observation)):
        return "the same action gave the same result 4 times in a row"
    if _same_tail(steps, 3, lambda s: s.action) and all(s.is_error for s in steps[-3:]):
        return "the same action failed 3 times in a row"
    if _same_tail(steps, 3, lambda s: s.action) and steps[-1].action.startswith("text:"):
        return "the model sent the same message 3 times in a row"
    if len(steps) >= 6:
        last = [(s.action, s.observation) for s in steps[-6:]]
        if last[0] != last[1] and last[0::2] == [last[0]] * 3 and last[1::2] == [last[1]] * 3:
            return "the model alternated between the same two actions for 6 steps"
    return None


def _same_tail(steps: list[Step], count: int, key: Callable[[Step], object]) -> bool:
    if len(steps) < count:
        return False
    keys = [key(s) for s in steps[-count:]]
    return all(k == keys[0] for k in keys)
