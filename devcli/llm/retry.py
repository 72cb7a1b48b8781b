"""Which server failures are worth another try, how long to wait, and the loop that waits."""

import email.utils
import random
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import openai
from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

# Statuses that say "not now" rather than "never": timeout, conflict, too early, rate limit.
_RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})
_CONTEXT_LENGTH = re.compile(
    r"context (length|window|size)|maximum context|too many tokens|too large for model"
    r"|prompt is too long|exceeds? (the )?(available )?context",
    re.IGNORECASE,
)


class FailureKind(StrEnum):
    TRANSIENT = "transient"  # connection, timeout, 5xx, rate limit, broken stream
    AUTH = "auth"
    NOT_FOUND = "not_found"
    CONTEXT_LENGTH = "context_length"
    REJECTED = "rejected"  # any other 4xx: the request itself is wrong


class Failure(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: FailureKind
    message: str
    status: int | None = None
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        return self.kind is FailureKind.TRANSIENT


class RetryPolicy(BaseModel):
    """Exponential backoff with jitter; a server's Retry-After wins when it asks for longer."""

    model_config = ConfigDict(frozen=True)

    tries: int = Field(default=4, ge=1)
    base_delay: float = Field(default=0.5, ge=0)
    max_delay: float = Field(default=30.0, ge=0)
    max_retry_after: float = Field(default=120.0, ge=0)

    def delay(self, retry: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry` (1 for the first)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        wait = ceiling * (0.5 + rng.random() / 2)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_retry_after))
        return wait


class StreamBroken(Exception):
    """A streamed answer that ended early or could not be read; the turn is asked again."""


class RemoteFailure(Exception):
    """Raised when a failure is final, either by its kind or because every try was used."""

    def __init__(self, failure: Failure, tries: int) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.tries = tries


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` as seconds or an HTTP date, or the `retry-after-ms` some servers send."""
    lowered = {key.lower(): value for key, value in headers.items()}
    milliseconds = lowered.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def server_message(body: object, fallback: str) -> str:
    """The human part of an error body: OpenAI, Mistral, FastAPI and plain-text shapes."""
    if isinstance(body, Mapping):
        for key in ("error", "message", "detail", "msg"):
            if key in body:
                return server_message(body[key], fallback)
        return fallback
    if isinstance(body, list) and body:
        return "; ".join(server_message(item, fallback) for item in body[:3])
    if isinstance(body, str) and body.strip():
        return body.strip().splitlines()[0][:500]
    return fallback


def root_cause(exc: BaseException) -> str:
    """The innermost reason of a connection failure, e.g. "Connection refused"."""
    reason: BaseException = exc
    while reason.__cause__ is not None:  # explicit causes only: a context is another story
        reason = reason.__cause__
    text = str(reason).strip()
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text)
    return text or type(reason).__name__


def classify(exc: BaseException, base_url: str) -> Failure | None:
    """A Failure for errors of the network, the server or its stream; None for anything else."""
    if isinstance(exc, StreamBroken):
        return Failure(kind=FailureKind.TRANSIENT, message=str(exc))
    if isinstance(exc, openai.APITimeoutError):
        return Failure(kind=FailureKind.TRANSIENT, message=f"{base_url} did not answer in time")
    if isinstance(exc, openai.APIConnectionError):
        return Failure(
            kind=FailureKind.TRANSIENT, message=f"cannot reach {base_url} ({root_cause(exc)})"
        )
    if isinstance(exc, openai.APIStatusError):
        return _status_failure(exc, base_url)
    if isinstance(exc, openai.APIError):  # an error event inside a stream
        return Failure(
            kind=FailureKind.TRANSIENT,
            message=f"{base_url} reported an error while answering: "
            + server_message(exc.body, exc.message),
        )
    if _is_transport_error(exc):  # SDK versions that let transport errors through
        return Failure(
            kind=FailureKind.TRANSIENT, message=f"the connection to {base_url} broke ({exc})"
        )
    return None


def _is_transport_error(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] in ("httpx", "httpcore", "httpx2", "httpcore2")


def _status_failure(exc: openai.APIStatusError, base_url: str) -> Failure:
    status = exc.status_code
    detail = server_message(exc.body, exc.message)
    if status in (401, 403):
        return Failure(
            kind=FailureKind.AUTH,
            status=status,
            message=f"{base_url} refused the request ({status}: {detail}); check your API key "
            "(--api-key, MISTRAL_API_KEY or OPENAI_API_KEY)",
        )
    if status == 404:
        return Failure(
            kind=FailureKind.NOT_FOUND,
            status=status,
            message=f"{base_url} answered 404 ({detail}): the model name or the URL is wrong",
        )
    if status != 429 and _CONTEXT_LENGTH.search(detail):  # some servers say so with a 500
        return Failure(kind=FailureKind.CONTEXT_LENGTH, status=status, message=detail)
    if status in _RETRYABLE_STATUSES or status >= 500:
        return Failure(
            kind=FailureKind.TRANSIENT,
            status=status,
            retry_after=parse_retry_after(exc.response.headers),
            message=f"{base_url} answered {status} ({detail})",
        )
    return Failure(
        kind=FailureKind.REJECTED,
        status=status,
        message=f"{base_url} rejected the request ({status}: {detail})",
    )


RetryNotice = Callable[[Failure, float, int], None]  # failure, seconds to wait, next try number


def with_retries(
    action: Callable[[], T],
    policy: RetryPolicy,
    base_url: str,
    *,
    sleep: Callable[[float], Any] = time.sleep,
    on_retry: RetryNotice | None = None,
    rng: random.Random | None = None,
) -> T:
    """Run `action`, trying again after transient failures; RemoteFailure when it gives up."""
    rng = rng or random.Random()
    for attempt in range(1, policy.tries + 1):
        try:
            return action()
        except Exception as exc:
            failure = classify(exc, base_url)
            if failure is None:
                raise
            if not failure.retryable or attempt == policy.tries:
                raise RemoteFailure(failure, attempt) from exc
            wait = policy.delay(attempt, failure.retry_after, rng)
            if on_retry is not None:
                on_retry(failure, wait, attempt + 1)
            sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")
