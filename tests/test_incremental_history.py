"""What each step rebuilds from the session (messages, token estimates, stuck detection) is
kept up to date incrementally; it must always equal a rebuild from scratch."""

import random
from collections.abc import Sequence

from devcli.agent.budget import estimate_tokens
from devcli.agent.conversation import model_messages
from devcli.agent.stuck import reason_for, steps_of, stuck_reason
from devcli.events import (
    AssistantTurn,
    Condensation,
    Event,
    Observation,
    ToolCall,
    UserMessage,
)
from devcli.llm.backend import ChatMessage
from devcli.tool_schema import FunctionSpec, ToolSchema

TOOLS = [ToolSchema(function=FunctionSpec(name="execute_bash", parameters={}))]


def random_step(rng: random.Random, number: int) -> list[Event]:
    call_id = f"c{number:08d}"
    command = rng.choice(["ls", "echo a", "pytest", "cat x"])
    turn = AssistantTurn(
        content=rng.choice(["", "next"]),
        tool_calls=(ToolCall(id=call_id, name="execute_bash", arguments={"command": command}),),
    )
    result = Observation(
        tool_call_id=call_id,
        name="execute_bash",
        content=rng.choice(["ok", "fail", "x" * 50]),
        is_error=rng.random() < 0.3,
    )
    events: list[Event] = [turn, result]
    if rng.random() < 0.1:
        events.append(UserMessage(content="keep going", synthetic=True))
    return events


def fresh(events: Sequence[Event]) -> list[ChatMessage]:
    """The conversation of a list never seen before: nothing cached applies to it."""
    return [message.model_copy() for message in model_messages("system", list(events))]


def test_conversation_kept_up_to_date_equals_a_rebuild() -> None:
    rng = random.Random(5)
    events: list[Event] = [UserMessage(content="the task")]
    for number in range(300):
        events += random_step(rng, number)
        if number % 97 == 96:
            kept = len(events) - 6
            elided = tuple(e.tool_call_id for e in events[kept:] if isinstance(e, Observation))
            events.append(
                Condensation(summary=f"summary {number}", first_kept=kept, elided=elided[:1])
            )
        assert model_messages("system", events) == fresh(events)


def test_a_list_changed_in_place_is_read_again() -> None:
    events: list[Event] = [UserMessage(content="one")]
    model_messages("system", events)
    events[0] = UserMessage(content="two")
    assert model_messages("system", events)[-1].content == "two"


def test_token_estimates_kept_up_to_date_equal_a_rebuild() -> None:
    rng = random.Random(6)
    events: list[Event] = [UserMessage(content="the task")]
    for number in range(200):
        events += random_step(rng, number)
        messages = model_messages("system", events)
        copied = [message.model_copy() for message in messages]
        assert estimate_tokens(messages, TOOLS) == estimate_tokens(copied, list(TOOLS))


def test_stuck_detection_from_the_tail_matches_the_whole_history() -> None:
    rng = random.Random(7)
    seen: set[str | None] = set()
    for trial in range(80):
        events: list[Event] = [UserMessage(content="task")]
        repeated = random_step(rng, 0)
        other = random_step(rng, 1)
        for number in range(rng.randrange(2, 40)):
            roll = rng.random()
            step = repeated if roll < 0.4 else other if roll < 0.6 else random_step(rng, number + 2)
            events += step
            if rng.random() < 0.05:
                events.append(UserMessage(content=f"new request {trial}"))
            expected = reason_for(steps_of(events))  # every step since the last request
            assert stuck_reason(events) == expected
            seen.add(expected)
    assert len(seen) >= 3  # the sequences reached several verdicts, not only "not stuck"
