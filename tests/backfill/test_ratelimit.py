"""Rate limiters: the local GCRA spacing, and the shared one on Redis and on SQLite."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from reconciler.ratelimit import (
    ENDPOINT_RATE,
    InvalidRate,
    LocalRateLimiter,
    RateLimiter,
    SharedRateLimiter,
    StripeLimits,
    default_rate,
    effective_rate,
)
from reconciler.runtime.store import Store


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_defaults_follow_stripe_limits() -> None:
    assert (default_rate("test"), default_rate("live")) == (25.0, 100.0)
    assert effective_rate(100) == pytest.approx(95.0)


def test_stripe_limits_pace_one_endpoint_at_its_own_limit_and_all_at_the_global() -> None:
    # docs: rate-limits: 100/s live for the account, 25/s for each endpoint by default.
    clock = FakeClock()

    def make(endpoint: str, rate: float) -> RateLimiter:
        return LocalRateLimiter(rate, clock=clock, sleep=clock.sleep)

    limits = StripeLimits(make, default_rate("live"))
    assert (limits.endpoint_limit, limits.sustained) == (ENDPOINT_RATE, 25.0)
    start = clock.now
    for _ in range(50):
        limits.acquire("POST /v1/customers")
    # One endpoint: 50 requests at 95 % of 25/s take just over two seconds, not half a second.
    assert clock.now - start == pytest.approx(49 / effective_rate(25.0))
    start = clock.now
    endpoints = [f"GET /v1/thing{n}" for n in range(8)]
    for index in range(200):
        limits.acquire(endpoints[index % 8])
    # Eight endpoints share the global limit: 200 requests at 95 % of 100/s.
    assert clock.now - start == pytest.approx(200 / effective_rate(100.0), rel=0.02)


def test_local_limiter_spaces_requests_at_95_percent_of_the_limit() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(19.0, clock=clock, sleep=clock.sleep)  # aims at 18.05/s
    sent = []
    for _ in range(40):
        limiter.acquire()
        sent.append(clock.now)
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(sent)]
    assert set(gaps) == {round(1 / 18.05, 6)}


def test_local_limiter_burst_then_steady() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(10.0 / 0.95, burst=3, clock=clock, sleep=clock.sleep)
    waits = [limiter.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2])
    clock.now += 10  # idle time refills the burst, no more
    assert [limiter.reserve() for _ in range(4)] == pytest.approx([0.0, 0.0, 0.0, 0.1])


def test_invalid_rates_are_refused() -> None:
    with pytest.raises(
        InvalidRate, match=r"^the rate limit must be a positive number of requests/s, got 0$"
    ):
        LocalRateLimiter(0)
    with pytest.raises(InvalidRate, match=r"^the burst must be at least 1, got 0$"):
        LocalRateLimiter(5, burst=0)


@pytest.fixture
def store(any_store: Store) -> Store:
    return any_store


def test_store_reserves_consecutive_slots(store: Store) -> None:
    started = time.monotonic()
    waits = [store.acquire_rate("t", 10.0, 2) for _ in range(6)]
    elapsed = time.monotonic() - started
    # Two at once (burst), then one slot every 0.1 s, less the time the calls themselves took
    # (bounded by what was measured, so a loaded machine cannot fail the test).
    assert waits[:2] == [0.0, 0.0]
    for index, wait in enumerate(waits[2:], start=1):
        assert index * 0.1 - elapsed - 1e-6 <= wait <= index * 0.1 + 1e-6
    # Names are separate limiters.
    assert store.acquire_rate("other", 10.0, 1) == 0.0


def test_shared_limiter_hands_each_slot_to_one_thread(store: Store) -> None:
    """40 reservations from 8 threads: each of the 40 slots goes to exactly one caller.

    One slot every 1,000 s, so a wait is (its slot's rank) x 1,000 s less the moment of the
    call, and no load on the machine moves a wait by half an interval: rounding recovers each
    reservation's rank exactly."""
    interval = 1000.0
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            wait = store.acquire_rate("threads", 1.0 / interval, 1)
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert elapsed < interval / 2
    ranks = sorted(round(wait / interval) for wait in waits)
    assert ranks == list(range(40))
    for wait in waits:
        rank = round(wait / interval)
        assert rank * interval - elapsed - 1e-3 <= wait <= rank * interval + 1e-3


def test_shared_limiter_sleeps_the_reserved_wait(store: Store) -> None:
    slept: list[float] = []
    # 2 slots a second: 0.5 s apart, far more than three store calls take.
    limiter = SharedRateLimiter(store, "sleepy", 2.0 / 0.95, sleep=slept.append)
    started = time.monotonic()
    for _ in range(3):
        limiter.acquire()
    elapsed = time.monotonic() - started
    assert len(slept) == 2
    assert 0.5 - elapsed - 1e-6 <= slept[0] <= 0.5 + 1e-6
    assert 1.0 - elapsed - 1e-6 <= slept[1] <= 1.0 + 1e-6


def test_a_caller_waking_late_gives_its_slot_up(store: Store) -> None:
    clock = FakeClock()
    late = [0.05, 0.0]

    def sleep(seconds: float) -> None:
        clock.now += seconds + late.pop(0)

    limiter = SharedRateLimiter(store, "late", 20.0 / 0.95, sleep=sleep, clock=clock)
    limiter.acquire()  # the first slot is free: no sleep
    limiter.acquire()  # woke 50 ms late: takes the next slot, then is on time
    assert late == []
    assert limiter.slots_given_up == 1
