"""Which failures are retried, how long devcli waits, and when it gives up."""

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import openai
import pytest

from devcli.llm.retry import (
    FailureKind,
    RemoteFailure,
    RetryPolicy,
    StreamBroken,
    classify,
    parse_retry_after,
    server_message,
    with_retries,
)
from tests.support.fault_server import FaultServer, Status, running_fault_server


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running_fault_server() as running:
        yield running


def _error_from(server: FaultServer, reply: Status) -> openai.APIStatusError:
    """The SDK's own exception for a real HTTP answer."""
    server.script(reply)
    client = openai.OpenAI(base_url=server.url, api_key="k", max_retries=0)
    try:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    except openai.APIStatusError as exc:
        return exc
    finally:
        client.close()
    raise AssertionError("the scripted error did not surface")


def test_retry_after_in_seconds_dates_and_milliseconds() -> None:
    assert parse_retry_after({"Retry-After": "12"}) == 12
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    waited = parse_retry_after({"Retry-After": later})
    assert waited is not None and 25 <= waited <= 30
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None


def test_backoff_grows_with_jitter_and_respects_its_caps() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, max_retry_after=60.0)
    rng = random.Random(7)
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        waits = [policy.delay(retry, None, rng) for _ in range(50)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 1  # jittered
    assert policy.delay(1, 20.0, rng) == 20.0  # the server asked for longer
    assert policy.delay(1, 600.0, rng) == 60.0  # but not for ever


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (408, FailureKind.TRANSIENT),
        (409, FailureKind.TRANSIENT),
        (425, FailureKind.TRANSIENT),
        (429, FailureKind.TRANSIENT),
        (500, FailureKind.TRANSIENT),
        (503, FailureKind.TRANSIENT),
        (401, FailureKind.AUTH),
        (403, FailureKind.AUTH),
        (404, FailureKind.NOT_FOUND),
        (400, FailureKind.REJECTED),
        (422, FailureKind.REJECTED),
    ],
)
def test_statuses_are_classified(server: FaultServer, status: int, kind: FailureKind) -> None:
    failure = classify(_error_from(server, Status(status)), server.url)
    assert failure is not None
    assert (failure.kind, failure.status) == (kind, status)
    assert failure.retryable is (kind is FailureKind.TRANSIENT)
    assert "scripted failure" in failure.message


def test_rate_limit_carries_retry_after(server: FaultServer) -> None:
    failure = classify(_error_from(server, Status(429, headers={"Retry-After": "3"})), server.url)
    assert failure is not None and failure.retry_after == 3


@pytest.mark.parametrize(
    "message",
    [
        "This model's maximum context length is 32768 tokens. However, you requested 40000.",
        "Prompt contains 140000 tokens, too large for model with 131072 maximum context length",
        "the request exceeds the available context size, try increasing it",
    ],
)
def test_context_length_errors_are_recognised(server: FaultServer, message: str) -> None:
    failure = classify(_error_from(server, Status(400, {"error": message})), server.url)
    assert failure is not None and failure.kind is FailureKind.CONTEXT_LENGTH


def test_a_rate_limit_about_tokens_is_not_a_context_error(server: FaultServer) -> None:
    reply = Status(429, {"error": {"message": "too many tokens per minute"}})
    failure = classify(_error_from(server, reply), server.url)
    assert failure is not None and failure.kind is FailureKind.TRANSIENT


def test_server_messages_of_several_shapes() -> None:
    assert server_message({"error": {"message": "bad key"}}, "-") == "bad key"
    assert server_message({"detail": [{"msg": "field required"}]}, "-") == "field required"
    assert server_message({"message": "Unauthorized"}, "-") == "Unauthorized"
    assert server_message("plain text\nmore", "-") == "plain text"
    assert server_message(None, "fallback") == "fallback"


def test_other_exceptions_are_not_ours() -> None:
    assert classify(KeyError("x"), "http://h/v1") is None


def test_with_retries_tries_again_then_returns() -> None:
    outcomes: list[Exception | str] = [StreamBroken("cut"), StreamBroken("cut again"), "done"]
    waits: list[float] = []
    notices: list[int] = []

    def action() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    result = with_retries(
        action,
        RetryPolicy(tries=3, base_delay=0.01),
        "http://h/v1",
        sleep=waits.append,
        on_retry=lambda failure, wait, next_try: notices.append(next_try),
    )
    assert result == "done" and len(waits) == 2 and notices == [2, 3]


def test_with_retries_gives_up_after_the_last_try() -> None:
    calls: list[int] = []

    def always_broken() -> None:
        calls.append(1)
        raise StreamBroken("cut")

    with pytest.raises(RemoteFailure) as raised:
        with_retries(always_broken, RetryPolicy(tries=4), "http://h/v1", sleep=lambda _: None)
    assert raised.value.tries == 4 and len(calls) == 4


def test_with_retries_does_not_retry_a_final_failure(server: FaultServer) -> None:
    error = _error_from(server, Status(401))
    calls: list[int] = []

    def refused() -> None:
        calls.append(1)
        raise error

    with pytest.raises(RemoteFailure) as raised:
        with_retries(refused, RetryPolicy(tries=4), server.url, sleep=lambda _: None)
    assert raised.value.failure.kind is FailureKind.AUTH and len(calls) == 1


def test_with_retries_lets_programming_errors_through() -> None:
    def buggy() -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        with_retries(buggy, RetryPolicy(), "http://h/v1", sleep=lambda _: None)
