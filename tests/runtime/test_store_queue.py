"""The store's work queue, one contract for real Redis and a SQLite file: coalescing, leases,
items queued again while taken, retries, and a queue that outlives the process's store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from reconciler.runtime.store import Store, open_store
from reconciler.runtime.store.base import Taken

Q = "reads"


@pytest.fixture(params=["redis", "sqlite"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        return url
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.close()


def test_items_come_out_by_due_time_and_several_events_are_one_item(store: Store) -> None:
    store.enqueue(Q, "customer:cus_b", 100.0)
    store.enqueue(Q, "customer:cus_a", 101.0)
    store.enqueue(Q, "customer:cus_b", 102.0)  # coalesced; keeps its earlier due time
    store.enqueue(Q, "customer:cus_b", 103.0)
    assert store.queue_length(Q) == 2
    assert store.take(Q, 99.0, 60) is None  # nothing due yet
    first = store.take(Q, 200.0, 60)
    second = store.take(Q, 200.0, 60)
    assert first is not None and second is not None
    assert (first.item, second.item) == ("customer:cus_b", "customer:cus_a")
    assert store.take(Q, 200.0, 60) is None  # both leased
    store.finish(Q, first)
    store.finish(Q, second)
    assert store.queue_length(Q) == 0
    assert store.take(Q, 1000.0, 60) is None


def test_an_item_whose_taker_died_is_due_again_after_its_lease(store: Store) -> None:
    store.enqueue(Q, "catalog", 100.0)
    assert store.take(Q, 100.0, 30) is not None  # the taker dies without finishing
    assert store.take(Q, 129.0, 30) is None
    again = store.take(Q, 130.5, 30)
    assert again is not None and again.item == "catalog"
    store.finish(Q, again)
    assert store.queue_length(Q) == 0


def test_an_item_queued_again_while_taken_is_not_dropped_by_the_first_finish(
    store: Store,
) -> None:
    store.enqueue(Q, "customer:cus_a", 100.0)
    taken = store.take(Q, 100.0, 60)
    assert taken is not None
    store.enqueue(Q, "customer:cus_a", 110.0)  # an event after the re-read started
    store.finish(Q, taken)
    assert store.queue_length(Q) == 1
    again = store.take(Q, 110.0, 60)
    assert again is not None and again.item == "customer:cus_a"
    assert again.version != taken.version
    store.finish(Q, again)
    assert store.queue_length(Q) == 0


def test_an_item_queued_again_while_taken_waits_for_its_taker_to_finish(store: Store) -> None:
    store.enqueue(Q, "customer:cus_a", 100.0)
    taken = store.take(Q, 100.0, 60)
    assert taken is not None
    store.enqueue(Q, "customer:cus_a", 101.0)
    store.enqueue(Q, "customer:cus_a", 102.0)
    # Not handed to a second worker while the first re-reads it (one re-read at a time).
    assert store.take(Q, 103.0, 60) is None
    assert store.queue_length(Q) == 1
    store.finish(Q, taken, retry_at=500.0)  # a newer version: due at once, not at 500
    again = store.take(Q, 104.0, 60)
    assert again is not None and again.version != taken.version
    store.finish(Q, again)
    assert store.queue_length(Q) == 0


def test_an_item_queued_again_after_its_taker_died_is_due_after_the_lease(store: Store) -> None:
    store.enqueue(Q, "customer:cus_a", 100.0)
    assert store.take(Q, 100.0, 30) is not None  # the taker dies without finishing
    store.enqueue(Q, "customer:cus_a", 110.0)
    assert store.take(Q, 129.0, 30) is None
    again = store.take(Q, 130.0, 30)
    assert again is not None and again.item == "customer:cus_a"
    store.finish(Q, again)
    assert store.queue_length(Q) == 0
    store.enqueue(Q, "customer:cus_a", 200.0)  # a lease left by the dead taker hides nothing
    assert store.take(Q, 200.0, 30) is not None


def test_a_retried_item_is_due_at_its_retry_time(store: Store) -> None:
    store.enqueue(Q, "customer:cus_a", 100.0)
    taken = store.take(Q, 100.0, 60)
    assert taken is not None
    store.finish(Q, taken, retry_at=105.0)
    assert store.take(Q, 104.0, 60) is None
    again = store.take(Q, 105.0, 60)
    assert again == Taken("customer:cus_a", taken.version)


def test_the_queue_outlives_the_store_object(store_url: str) -> None:
    first = open_store(store_url)
    for n in range(3):
        first.enqueue(Q, f"customer:cus_{n}", 100.0 + n)
    first.close()
    reopened = open_store(store_url)
    items = []
    while (taken := reopened.take(Q, 200.0, 60)) is not None:
        items.append(taken.item)
        reopened.finish(Q, taken)
    reopened.close()
    assert items == ["customer:cus_0", "customer:cus_1", "customer:cus_2"]
