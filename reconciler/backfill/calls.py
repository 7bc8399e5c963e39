"""Every Stripe request of a bulk run goes through `ApiCaller`: paced by Stripe's two rate
limits (the account's and the endpoint's, `ratelimit.StripeLimits`), retried by the project's
retry policy, and counted (requests, retries, by reason)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import stripe

from reconciler.ratelimit import StripeLimits
from reconciler.retry import DEFAULT_POLICY, RetryPolicy, call_with_retry
from reconciler.stripe_catalog import list_all

T = TypeVar("T")


class ApiCaller:
    """Runs SDK calls under the limiter and the retry policy; safe to share between threads."""

    def __init__(self, limiter: StripeLimits, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.limiter = limiter
        self.policy = policy
        self._lock = threading.Lock()
        self.requests = 0
        self.retries: dict[str, int] = {}

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    def _on_retry(self, exc: BaseException, attempt: int, delay: float) -> None:
        status = exc.http_status if isinstance(exc, stripe.StripeError) else None
        reason = "connection" if status is None else str(status)
        with self._lock:
            self.retries[reason] = self.retries.get(reason, 0) + 1

    def call(self, fn: Callable[[], T], endpoint: str) -> T:
        """`fn()`, a request to `endpoint` (`POST /v1/customers`), paced and retried; the last
        error is raised when it finally fails."""

        def before() -> None:
            self.limiter.acquire(endpoint)
            self._count()

        return call_with_retry(fn, self.policy, before=before, on_retry=self._on_retry)

    def list_all(
        self, lister: Any, params: dict[str, Any], endpoint: str
    ) -> Iterator[dict[str, Any]]:
        """Every object of a list endpoint (`client.v1.customers`, `GET /v1/customers`) as plain
        dicts, one request per page of 100, each paced and retried on its own."""
        return list_all(lister, params, lambda fetch: self.call(fetch, endpoint))

    def snapshot(self) -> dict[str, Any]:
        """Counters for the report: requests sent (attempts, retries included) and retries by
        cause (`429`, `500`, `connection`, ...)."""
        with self._lock:
            return {"requests": self.requests, "retries": dict(sorted(self.retries.items()))}
