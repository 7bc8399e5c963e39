"""`consume` while a real redis-server stalls (SIGSTOP, then SIGCONT): a call that times out
raises `OutcomeUnknown` with its op id, and callers that retry with that op id count once."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from reconciler import OutcomeUnknown, StoreUnavailable
from reconciler.model import Plans
from reconciler.runtime.store.redis_store import RedisStore
from reconciler.testing import EmulatorControl, redis_process
from tests.runtime.conftest import make_billing
from tests.runtime.test_usage_and_customers import with_defaults

THREADS = 8


@pytest.fixture
def stalling_redis() -> Iterator[tuple[str, int]]:
    """A redis-server of this test's own (the session's one is shared): URL and pid."""
    with redis_process() as (url, process):
        try:
            yield url, process.pid
        finally:
            os.kill(process.pid, signal.SIGCONT)


def test_retries_with_the_op_id_never_double_count_across_a_stall(
    emulator: EmulatorControl, plans: Plans, stalling_redis: tuple[str, int]
) -> None:
    url, pid = stalling_redis
    # A short read timeout so the stall outlasts it quickly (the default is 2 s).
    store = RedisStore(url, timeout_seconds=0.3)
    billing = make_billing(emulator, with_defaults(plans, credits=1000), store)
    for i in range(THREADS):  # every thread's record is remembered: one script per call
        billing.consume(f"org_{i % 2}", "credits")
    stalled: list[BaseException] = []
    totals: dict[str, int] = {}
    lock = threading.Lock()
    raised = threading.Barrier(THREADS + 1)
    resumed = threading.Event()

    def caller(i: int) -> None:
        op_id = f"op-{i}"
        try:
            billing.consume(f"org_{i % 2}", "credits", op_id=op_id)
        except StoreUnavailable as exc:
            with lock:
                stalled.append(exc)
        raised.wait()
        resumed.wait()
        while True:  # a caller's retry loop: the same op id until the store answers
            try:
                total = billing.consume(f"org_{i % 2}", "credits", op_id=op_id)
            except StoreUnavailable:
                continue
            with lock:
                totals[op_id] = total
            return

    os.kill(pid, signal.SIGSTOP)
    threads = [threading.Thread(target=caller, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    raised.wait()
    os.kill(pid, signal.SIGCONT)
    resumed.set()
    for t in threads:
        t.join()
    store.close()

    assert len(stalled) == THREADS
    assert all(isinstance(exc, OutcomeUnknown) for exc in stalled)
    assert sorted(exc.op_id for exc in stalled if isinstance(exc, OutcomeUnknown)) == sorted(
        f"op-{i}" for i in range(THREADS)
    )
    assert "it may have been applied: retry with op_id='op-" in str(stalled[0])
    # 4 warm-up calls and 4 stalled ones per entity, each counted once.
    assert billing.usage("org_0", "credits")["used"] == 8
    assert billing.usage("org_1", "credits")["used"] == 8
    assert sorted(totals[f"op-{i}"] for i in range(0, THREADS, 2)) == [5, 6, 7, 8]
    assert sorted(totals[f"op-{i}"] for i in range(1, THREADS, 2)) == [5, 6, 7, 8]
