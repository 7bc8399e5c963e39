"""Client-side rate limiters for Stripe calls: one process, or every process sharing a store.

Both use GCRA with reservation: each `acquire` takes the next free send slot and sleeps until
it, so callers are spaced evenly instead of bursting and polling. In any one-second window at
most `rate + burst` requests leave. Stripe's limit is counted on its side, after network
jitter has moved some requests closer together, so the limiter aims a little below the limit
it is given (`HEADROOM`); the achieved rate stays above 90% of that limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from reconciler.errors import ReconcilerError
from reconciler.model import Mode

# Stripe's documented limits (docs: rate-limits): the global limit per account is 100
# requests/s in live mode and 25 in test mode; besides it, every API endpoint has a default
# limit of 25 requests/s of its own. An endpoint is one named operation (a method and a path
# template: `POST /v1/customers`; `GET /v1/customers/{id}` for any id is one endpoint).
DEFAULT_RATES: dict[str, float] = {"test": 25.0, "live": 100.0}
ENDPOINT_RATE = 25.0
# Fraction of the given limit actually used: room for jitter between our clock and Stripe's.
HEADROOM = 0.95
DEFAULT_BURST = 1
# A caller that wakes this much later than its slot (a GC pause, a busy CPU) gives the slot up
# and takes the next free one: sent late, it would arrive bunched with the requests sent on
# time after it, and Stripe counts arrivals.
LATE_SECONDS = 0.02


class InvalidRate(ReconcilerError):
    """A rate limit that is not a positive number, or a burst below 1."""


def default_rate(mode: Mode) -> float:
    """Stripe's request limit for a key of this mode."""
    return DEFAULT_RATES[mode]


def effective_rate(limit: float) -> float:
    """The sustained rate a limiter aims at for an account limit of `limit` requests/s."""
    return limit * HEADROOM


def _check(limit: float, burst: int) -> None:
    if not limit > 0:
        raise InvalidRate(f"the rate limit must be a positive number of requests/s, got {limit}")
    if burst < 1:
        raise InvalidRate(f"the burst must be at least 1, got {burst}")


class SlotStore(Protocol):
    """Where a shared limiter keeps its slots: the runtime's store (`Store.acquire_rate`),
    which stands above this module and is handed in."""

    def acquire_rate(self, name: str, rate_per_second: float, burst: int) -> float:
        """Take the next slot of limiter `name`; seconds until it (0.0 or less: now)."""
        ...


class RateLimiter(Protocol):
    """Something that blocks until the caller may send one more request."""

    limit: float

    def acquire(self) -> None:
        """Wait for (and take) the next send slot."""


class LocalRateLimiter:
    """A limiter for the threads of one process."""

    def __init__(
        self,
        limit: float,
        burst: int = DEFAULT_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        _check(limit, burst)
        self.limit = limit
        self._interval = 1.0 / effective_rate(limit)
        self._tolerance = self._interval * (burst - 1)
        self._tat = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def reserve(self) -> float:
        """Take the next slot; seconds until it (0.0: now)."""
        with self._lock:
            now = self._clock()
            tat = max(self._tat, now)
            self._tat = tat + self._interval
            return max(0.0, tat - self._tolerance - now)

    def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)


class SharedRateLimiter:
    """A limiter shared by every thread, process and machine using the same store (Redis, or
    the SQLite file for processes on one machine): the slots live in the store
    (`Store.acquire_rate`), one round trip per request."""

    def __init__(
        self,
        store: SlotStore,
        name: str,
        limit: float,
        burst: int = DEFAULT_BURST,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _check(limit, burst)
        self.limit = limit
        self.name = name
        self._store = store
        self._rate = effective_rate(limit)
        self._burst = burst
        self._sleep = sleep
        self._clock = clock
        self.slots_given_up = 0

    def acquire(self) -> None:
        while True:
            wait = self._store.acquire_rate(self.name, self._rate, self._burst)
            if wait <= 0:
                return
            due = self._clock() + wait
            self._sleep(wait)
            if self._clock() - due <= LATE_SECONDS:
                return
            self.slots_given_up += 1


class StripeLimits:
    """Both of Stripe's limits at once: a request to an endpoint waits for a slot of that
    endpoint's limiter, then for one of the account's global limiter. `make(suffix, limit)`
    builds each limiter (shared ones are named `<name>` and `<name>:<endpoint>`)."""

    def __init__(
        self,
        make: Callable[[str, float], RateLimiter],
        limit: float,
        endpoint_limit: float = ENDPOINT_RATE,
    ) -> None:
        _check(endpoint_limit, DEFAULT_BURST)
        self.limit = limit
        self.endpoint_limit = endpoint_limit
        self._make = make
        self._global = make("", limit)
        self._endpoints: dict[str, RateLimiter] = {}
        self._lock = threading.Lock()

    def acquire(self, endpoint: str | None = None) -> None:
        """Wait for a slot of `endpoint` (e.g. `POST /v1/customers`), then a global one."""
        if endpoint is not None:
            with self._lock:
                limiter = self._endpoints.get(endpoint)
                if limiter is None:
                    limiter = self._endpoints[endpoint] = self._make(endpoint, self.endpoint_limit)
            limiter.acquire()
        self._global.acquire()

    @property
    def sustained(self) -> float:
        """The most requests/s one endpoint can get: the lower of the two limits."""
        return min(self.limit, self.endpoint_limit)


def shared_limits(
    store: SlotStore, name: str, limit: float, endpoint_limit: float = ENDPOINT_RATE
) -> StripeLimits:
    """`StripeLimits` whose slots live in `store`, shared by every worker using it."""

    def make(endpoint: str, rate: float) -> RateLimiter:
        return SharedRateLimiter(store, f"{name}:{endpoint}" if endpoint else name, rate)

    return StripeLimits(make, limit, endpoint_limit)


def limiter_name(mode: Mode) -> str:
    """The store name of the shared limiter for one Stripe mode: every worker calling the same
    account in that mode must use the same name (workers of one account share one store)."""
    return f"stripe-api:{mode}"
