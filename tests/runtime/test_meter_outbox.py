"""The meter outbox contract, on real Redis and a SQLite file: usage recorded in the same
atomic step as the counter, batches taken, leased, resent and finished."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from reconciler.errors import LimitExceeded
from reconciler.runtime.meter_flush import event_identifier
from reconciler.runtime.store import Store, open_store
from reconciler.runtime.store.base import MeterUsage, UsageBatch


@pytest.fixture
def store(any_store: Store) -> Store:
    return any_store


def count(store: Store, entity: str, amount: int, op: str | None = None, limit: int = 100) -> int:
    return store.consume(entity, "calls", 0, amount, limit, 3600, op_id=op, meter="api")


def test_a_metered_consume_records_usage_with_the_counter_and_once_per_op(store: Store) -> None:
    assert count(store, "e1", 3, op="op-1") == 3
    assert count(store, "e1", 3, op="op-1") == 3  # a retry of the same op counts nothing
    assert count(store, "e1", 4) == 7
    with pytest.raises(LimitExceeded):
        count(store, "e1", 94)
    store.consume("e1", "plain", 0, 5, None, 3600)  # no meter: no outbox
    assert store.metered_entities() == ["e1"]
    assert store.meter_usage("e1") == {"api": MeterUsage(7, 0)}


def test_batches_are_taken_finished_and_the_outbox_empties(store: Store) -> None:
    count(store, "e1", 2)
    count(store, "e2", 5)
    first = store.take_usage_batches("e1", "sender-a", 30)
    assert [(b.entity_id, b.meter, b.seq, b.value) for b in first] == [("e1", "api", 1, 2)]
    count(store, "e1", 1)  # counted while the batch is out: waits for the next one
    assert store.take_usage_batches("e1", "sender-b", 30) == []  # leased to sender-a
    assert store.take_usage_batches("e1", "sender-a", 30) == first  # its own: the same batch
    store.finish_usage_batch(first[0])
    store.finish_usage_batch(first[0])  # finishing twice changes nothing
    assert store.meter_usage("e1") == {"api": MeterUsage(3, 2)}
    second = store.take_usage_batches("e1", "sender-b", 30)
    assert [(b.seq, b.value) for b in second] == [(2, 1)]
    store.finish_usage_batch(second[0])
    assert store.metered_entities() == ["e2"]
    assert store.meter_usage("e1") == {"api": MeterUsage(3, 3)}
    assert store.meter_usage("e1")["api"].unflushed == 0


def test_the_unsent_usage_sums_every_outbox_and_drops_what_was_sent(store: Store) -> None:
    assert store.unsent_usage() == 0
    for index in range(1_203):  # more than two of the Redis store's pipelines of 500
        count(store, f"entity-{index}", 1 + index % 3)
    store.consume("entity-0", "seats", 0, 4, None, 3600, meter="seats")
    expected = sum(1 + index % 3 for index in range(1_203)) + 4
    assert store.unsent_usage() == expected
    (batch,) = store.take_usage_batches("entity-2", "sender", 30)  # 3 calls, taken out
    assert store.unsent_usage() == expected  # taken is not sent
    store.finish_usage_batch(batch)
    assert store.unsent_usage() == expected - 3


def test_a_batch_whose_sender_died_is_resent_unchanged_after_its_lease(store: Store) -> None:
    count(store, "e1", 6)
    taken = store.take_usage_batches("e1", "dead-sender", 0.001)
    count(store, "e1", 1)
    deadline_passed = []
    for _ in range(200):  # the lease is 1 ms of the store's clock
        again = store.take_usage_batches("e1", "next-sender", 30)
        if again:
            deadline_passed = again
            break
    assert deadline_passed == taken
    assert deadline_passed[0] == UsageBatch("e1", "api", 1, 6, taken[0].timestamp, taken[0].nonce)
    assert len(taken[0].nonce) == 16


def _batch_then_wipe(store: Store, wipe: Callable[[], Store]) -> tuple[UsageBatch, UsageBatch]:
    count(store, "e1", 2)
    (before,) = store.take_usage_batches("e1", "sender", 30)
    store.finish_usage_batch(before)
    fresh = wipe()  # the store lost everything: seq counts from 1 again
    count(fresh, "e1", 2)
    (after,) = fresh.take_usage_batches("e1", "sender", 30)
    return before, after


def test_a_batch_made_after_redis_was_wiped_gets_a_new_name(
    redis_store: Store, redis_url: str
) -> None:
    def wipe() -> Store:
        redis.Redis.from_url(redis_url).flushdb()
        return redis_store

    before, after = _batch_then_wipe(redis_store, wipe)
    assert (after.seq, after.value) == (before.seq, before.value) == (1, 2)
    assert after.nonce != before.nonce
    assert event_identifier(after) != event_identifier(before)


def test_a_batch_made_after_the_sqlite_file_was_lost_gets_a_new_name(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = open_store(f"sqlite:///{path}")

    def wipe() -> Store:
        store.close()
        path.unlink()
        return open_store(f"sqlite:///{path}")

    before, after = _batch_then_wipe(store, wipe)
    assert (after.seq, after.value) == (before.seq, before.value) == (1, 2)
    assert event_identifier(after) != event_identifier(before)


def test_a_batch_made_before_nonces_keeps_its_name() -> None:
    old = UsageBatch("e1", "api", 1, 6, 1_700_000_000)
    assert event_identifier(old) == "rcn-" + hashlib.sha256(b"e1\x00api\x001").hexdigest()[:40]


def test_one_servers_sweep_is_one_sunion_and_no_script(redis_store: Store, redis_url: str) -> None:
    # Entities in far-apart slots; the sweep finds them with one command Redis runs in C.
    for entity in ("e1", "user-42", "org-7"):
        count(redis_store, entity, 1)
    server = redis.Redis.from_url(redis_url)
    server.config_resetstat()
    assert redis_store.metered_entities() == ["e1", "org-7", "user-42"]
    stats = server.info("commandstats")
    assert stats["cmdstat_sunion"]["calls"] == 1
    assert "cmdstat_eval" not in stats and "cmdstat_evalsha" not in stats
