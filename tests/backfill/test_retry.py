"""The retry policy: which errors are retried, backoff bounds, and the retry loop."""

from __future__ import annotations

import random
from typing import Any

import pytest
import stripe

from reconciler.retry import RetryPolicy, call_with_retry, failure_reason, should_retry

# Two SDK error classes have untyped constructors; typed aliases keep mypy --strict quiet.
connection_error: Any = stripe.APIConnectionError
invalid_request: Any = stripe.InvalidRequestError


def rate_limited(headers: dict[str, str] | None = None) -> stripe.StripeError:
    return stripe.RateLimitError("Too many requests", http_status=429, headers=headers)


def server_error(status: int = 500, headers: dict[str, str] | None = None) -> stripe.StripeError:
    return stripe.APIError("boom", http_status=status, headers=headers)


def bad_request(status: int = 400, headers: dict[str, str] | None = None) -> stripe.StripeError:
    error: stripe.StripeError = invalid_request(
        "No such customer", "id", http_status=status, headers=headers
    )
    return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (rate_limited(), True),
        (server_error(500), True),
        (server_error(503), True),
        (connection_error("reset by peer"), True),
        (bad_request(400), False),
        (bad_request(404), False),
        (bad_request(409), False),
        (stripe.AuthenticationError("bad key", http_status=401), False),
        # Stripe-Should-Retry wins over the status, in any letter case.
        (server_error(500, {"Stripe-Should-Retry": "false"}), False),
        (rate_limited({"stripe-should-retry": "false"}), False),
        (bad_request(409, {"Stripe-Should-Retry": "true"}), True),
        (connection_error("x", headers={"Stripe-Should-Retry": "false"}), False),
        (ValueError("not from Stripe"), False),
    ],
)
def test_should_retry(error: BaseException, expected: bool) -> None:
    assert should_retry(error) is expected


def test_delay_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=4.0)
    rng = random.Random(7)
    for attempt, cap in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert min(delays) >= 0.0 and max(delays) <= cap
        assert max(delays) > cap * 0.8  # the whole range is used, not a fixed value


def test_retries_until_success_pacing_every_attempt() -> None:
    outcomes: list[BaseException | str] = [rate_limited(), server_error(502), "ok"]
    before: list[int] = []
    retried: list[tuple[int, int | None]] = []
    slept: list[float] = []

    def fn() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def on_retry(exc: BaseException, attempt: int, delay: float) -> None:
        assert isinstance(exc, stripe.StripeError)
        retried.append((attempt, exc.http_status))

    result = call_with_retry(
        fn, RetryPolicy(base_delay=0.01), lambda: before.append(1), on_retry, slept.append
    )
    assert result == "ok"
    assert len(before) == 3
    assert retried == [(1, 429), (2, 502)]
    assert len(slept) == 2 and all(0 <= s <= 0.02 for s in slept)


def test_retry_after_header_is_a_floor() -> None:
    outcomes: list[BaseException | str] = [rate_limited({"Retry-After": "3"}), "ok"]
    slept: list[float] = []

    def fn() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    assert call_with_retry(fn, RetryPolicy(base_delay=0.01), sleep=slept.append) == "ok"
    assert slept == [3.0]


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    calls = []

    def fn() -> None:
        calls.append(1)
        raise server_error(500)

    with pytest.raises(stripe.APIError):
        call_with_retry(fn, RetryPolicy(max_attempts=4, base_delay=0.0), sleep=lambda _: None)
    assert len(calls) == 4


def test_client_errors_are_raised_at_once() -> None:
    calls = []

    def fn() -> None:
        calls.append(1)
        raise bad_request(400)

    with pytest.raises(stripe.InvalidRequestError):
        call_with_retry(fn, sleep=lambda _: pytest.fail("slept"))
    assert calls == [1]


def test_failure_reason() -> None:
    error = invalid_request("No such customer: 'cus_1'", "id", http_status=404)
    error.request_id = "req_123"
    assert failure_reason(error) == "HTTP 404: No such customer: 'cus_1' (request id req_123)"
    assert failure_reason(connection_error("timed out")) == (
        "cannot connect to the Stripe API (no answer in time): check STRIPE_API_BASE and the network"
    )
    assert failure_reason(KeyError("x")) == "KeyError: 'x'"


def test_the_retry_log_names_the_attempts_that_will_really_be_made(
    caplog: pytest.LogCaptureFixture,
) -> None:
    refused = connection_error("HTTPConnectionPool: NewConnectionError: Connection refused")
    calls = []

    def fn() -> None:
        calls.append(1)
        raise refused

    policy = RetryPolicy(max_attempts=2, max_connect_attempts=3, base_delay=0.0)
    with caplog.at_level("WARNING", logger="reconciler.retry"), pytest.raises(type(refused)):
        call_with_retry(fn, policy, sleep=lambda _: None)
    assert len(calls) == 2
    assert [r.getMessage().rsplit("(", 1)[1] for r in caplog.records] == ["attempt 2 of at most 2)"]
