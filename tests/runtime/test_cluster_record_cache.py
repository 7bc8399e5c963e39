"""The record cache on a real three-node Redis Cluster: hits served in the process, a record
written by another process seen by the cached reader within 100 ms, also after a node
restarts."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import redis

from reconciler.runtime.store import keys
from reconciler.runtime.store.redis_store import RedisStore
from reconciler.testing import LocalCluster, eventually

ENTITIES = [f"cached-{i}" for i in range(12)]

# Another process: writes each entity's subscription as `{"status": <argv[2]>}` and prints,
# per write, the wall-clock time the write was acknowledged.
WRITER = """
import sys, time
from reconciler.runtime.store import open_store
store = open_store(sys.argv[1], record_cache=False)
for entity in sys.argv[3:]:
    store.set_subscription(entity, {"status": sys.argv[2]})
    print(entity, time.time(), flush=True)
    input()
store.close()
"""


@pytest.fixture
def reader(redis_cluster_nodes: LocalCluster) -> Iterator[RedisStore]:
    redis_cluster_nodes.flushall()
    store = RedisStore(redis_cluster_nodes.url)
    assert store.tracking is not None and store.tracking.wait_connected(10.0)
    yield store
    store.close()


def hmgets(cluster: LocalCluster) -> int:
    total = 0
    for index in range(len(cluster.ports)):
        stats = redis.Redis.from_url(cluster.node_url(index)).info("commandstats")
        total += int(stats.get("cmdstat_hmget", {}).get("calls", 0))
    return total


def seen_within(reader: RedisStore, cluster: LocalCluster, status: str) -> list[float]:
    """Another process writes each entity in turn; the seconds until the cached reader (which
    holds the old record) answers the new one, per entity."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, cluster.url, status, *ENTITIES],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdin is not None and writer.stdout is not None
    delays = []
    for entity in ENTITIES:
        name, written = writer.stdout.readline().split()
        assert name == entity
        deadline = time.monotonic() + 10
        while (reader.get_record(entity).subscription or {}).get("status") != status:
            assert time.monotonic() < deadline, f"{entity} never seen"
            # A request loop waits on I/O between checks; one that never let go of the GIL
            # would starve the invalidation listener thread (see benchmarks/).
            time.sleep(0.0005)
        delays.append(time.time() - float(written))
        writer.stdin.write("\n")
        writer.stdin.flush()
    writer.communicate(timeout=30)
    assert writer.returncode == 0
    return delays


def all_hits(reader: RedisStore, cluster: LocalCluster, status: str) -> None:
    """Read every entity until one whole pass is served from the cache, no command sent to
    any node. (The invalidation of a write made before a read may reach the listener after
    that read was cached, and drop it: a miss, never a stale answer.)"""

    def one_pass_of_hits() -> bool:
        before = hmgets(cluster)
        for entity in ENTITIES:
            assert reader.get_subscription(entity) == {"status": status}
        return hmgets(cluster) == before and len(reader.record_cache) == len(ENTITIES)

    eventually(one_pass_of_hits, timeout=10)


def warm(reader: RedisStore, cluster: LocalCluster, status: str) -> None:
    """Write every entity, then read them until all are served from the cache."""
    for entity in ENTITIES:
        reader.set_subscription(entity, {"status": status})
    all_hits(reader, cluster, status)


def test_a_cached_reader_on_a_cluster_sees_another_process_write_within_100_ms(
    reader: RedisStore, redis_cluster_nodes: LocalCluster
) -> None:
    warm(reader, redis_cluster_nodes, "active")
    # The entities' slots are on all three nodes, so every node's listener is exercised.
    nodes = {
        index
        for index in range(3)
        for entity in ENTITIES
        if redis.Redis.from_url(redis_cluster_nodes.node_url(index)).cluster(
            "countkeysinslot", keys.key_slot(entity)
        )
    }
    assert nodes == {0, 1, 2}
    delays = seen_within(reader, redis_cluster_nodes, "past_due")
    assert max(delays) < 0.1, delays
    assert reader.record_cache.enabled


def test_after_a_node_restarts_the_cache_comes_back_and_stays_true(
    reader: RedisStore, redis_cluster_nodes: LocalCluster
) -> None:
    warm(reader, redis_cluster_nodes, "active")
    redis_cluster_nodes.stop(1)
    redis_cluster_nodes.start(1)
    redis_cluster_nodes.wait_ok()
    # The node came back empty (no persistence) and its listener reconnects: the cache is
    # flushed and off meanwhile, so nothing stale is served.
    assert reader.tracking is not None and reader.tracking.wait_connected(30.0)
    deadline = time.monotonic() + 30
    while not reader.record_cache.enabled:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    warm(reader, redis_cluster_nodes, "trialing")
    delays = seen_within(reader, redis_cluster_nodes, "canceled")
    assert max(delays) < 0.1, delays


def test_a_slot_moved_by_a_resharding_keeps_the_cache_true(
    reader: RedisStore, redis_cluster_nodes: LocalCluster
) -> None:
    warm(reader, redis_cluster_nodes, "active")
    entity = ENTITIES[0]
    slot = keys.key_slot(entity)
    source = redis_cluster_nodes.owner(slot)
    target = (source + 1) % 3
    try:
        redis_cluster_nodes.move_slot(slot, target)
        assert redis_cluster_nodes.owner(slot) == target
        # The old node reported the key deleted by MIGRATE; the next reads find the new node
        # (MOVED: read uncached) and its listener reports writes there from then on.
        delays = seen_within(reader, redis_cluster_nodes, "past_due")
        assert max(delays) < 0.1, delays
        assert reader.get_subscription(entity) == {"status": "past_due"}
        all_hits(reader, redis_cluster_nodes, "past_due")  # the moved entity's too
    finally:
        redis_cluster_nodes.move_slot(slot, source)
