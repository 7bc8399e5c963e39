"""The project's one retry policy for Stripe calls: exponential backoff with full jitter.

What is retried, in this order:
1. `Stripe-Should-Retry: true` or `false` on the answer decides, whatever the status (Stripe
   knows when a retry would be a no-op, or when a lock timeout will clear).
2. Connection errors and timeouts (`stripe.APIConnectionError`), 429 (rate limited) and every
   5xx are retried.
3. Any other 4xx is a mistake in the request and is never retried.

When no connection opens at all (refused, unknown host, connect timeout), at most
`max_connect_attempts` (3) are made, so a wrong STRIPE_API_BASE is reported within a second
or so. Every retry is logged (`reconciler.retry`), which the command line shows on stderr.

The SDK's own `max_network_retries` already retries connection errors, 409 and 5xx and honours
`Stripe-Should-Retry`, but not a plain 429, and its retries bypass a client-side rate limiter;
so code that uses this policy builds its client with `max_network_retries=0`. Every write
must carry an idempotency key, which makes retrying a POST safe.

Use: `call_with_retry(lambda: client.v1.customers.create(...), policy, before=limiter.acquire)`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import stripe

from reconciler.stripe_client import cannot_connect, connection_problem

T = TypeVar("T")
# Each retry is logged here; the command line shows these lines on stderr.
log = logging.getLogger("reconciler.retry")


# Backoff's own draws, apart from the global `random` a program (or its tests) may seed.
_JITTER = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to back off. Attempt n (from 1) that failed waits a random time
    in [0, min(max_delay, base_delay * 2 ** (n - 1))] ("full jitter", so many clients hit by
    the same 429 do not come back in step), or at least a `Retry-After` the answer asked for."""

    max_attempts: int = 8
    # When no connection can be opened at all (refused, unknown host): say so within a second.
    max_connect_attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 20.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based)."""
        cap = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return (rng or _JITTER).uniform(0.0, cap)


DEFAULT_POLICY = RetryPolicy()


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    # The SDK hands over the HTTP library's headers: case-insensitive or not, depending on it.
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return str(value).strip().lower()
    return None


def replayed(exc: BaseException) -> bool:
    """True when Stripe answered from what it saved for the idempotency key (an earlier
    request's answer, `Idempotent-Replayed: true`): this request wrote nothing."""
    return isinstance(exc, stripe.StripeError) and (
        _header(exc.headers, "idempotent-replayed") == "true"
    )


def should_retry(exc: BaseException) -> bool:
    """True when `exc` (from the SDK) is worth another attempt, by the rules above."""
    if not isinstance(exc, stripe.StripeError):
        return False
    if replayed(exc):
        # Stripe replays the saved answer to this key for 24 hours: the same request cannot
        # get another (reconciler.recovery goes on with a new key).
        return False
    advice = _header(exc.headers, "stripe-should-retry")
    if advice in ("true", "false"):
        return advice == "true"
    if isinstance(exc, stripe.APIConnectionError):
        return True
    status = exc.http_status
    return status is not None and (status == 429 or status >= 500)


def failure_reason(exc: BaseException) -> str:
    """A one-line description of a failed call for reports: status, Stripe's message and the
    request id, never the request itself (so never a key)."""
    if isinstance(exc, stripe.APIConnectionError):
        return connection_problem(exc)
    if isinstance(exc, stripe.StripeError):
        status = exc.http_status
        kind = f"HTTP {status}" if status is not None else type(exc).__name__
        message = exc.user_message or str(exc) or type(exc).__name__
        request = f" (request id {exc.request_id})" if exc.request_id else ""
        return f"{kind}: {message}{request}"
    return f"{type(exc).__name__}: {exc}"


def _retry_after(exc: BaseException) -> float:
    if not isinstance(exc, stripe.StripeError):
        return 0.0
    value = _header(exc.headers, "retry-after")
    try:
        return max(0.0, float(value)) if value is not None else 0.0
    except ValueError:
        return 0.0


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy = DEFAULT_POLICY,
    before: Callable[[], None] | None = None,
    on_retry: Callable[[BaseException, int, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `fn` until it succeeds, fails with an error not worth retrying, or runs out of
    attempts; the last error is raised unchanged. `before` runs before every attempt (a rate
    limiter's `acquire`, so retries are paced too); `on_retry(error, attempt, delay)` is told
    of each retry (for counters and logs)."""
    attempt = 1
    while True:
        if before is not None:
            before()
        try:
            return fn()
        except Exception as exc:
            limit = policy.max_connect_attempts if cannot_connect(exc) else policy.max_attempts
            limit = min(limit, policy.max_attempts)
            if attempt >= limit or not should_retry(exc):
                raise
            delay = max(policy.delay(attempt), _retry_after(exc))
            log.warning(
                "%s; retrying in %.1f s (attempt %d of at most %d)",
                failure_reason(exc),
                delay,
                attempt + 1,
                limit,
            )
            if on_retry is not None:
                on_retry(exc, attempt, delay)
            sleep(delay)
            attempt += 1
