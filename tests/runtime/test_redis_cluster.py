"""The Redis store on a real three-node Redis Cluster started here."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
import redis

from reconciler.errors import LimitExceeded, StoreUnavailable
from reconciler.runtime.store import EntityRecord, Store, keys, open_store
from reconciler.runtime.store.redis_store import RedisStore
from reconciler.testing import LocalCluster

pytestmark = pytest.mark.skipif(
    shutil.which("redis-cli") is None, reason="redis-cli is not installed (needed for a cluster)"
)


@pytest.fixture
def cluster_url(redis_cluster_nodes: LocalCluster) -> str:
    redis_cluster_nodes.flushall()
    return redis_cluster_nodes.url


@pytest.fixture
def cluster_store(cluster_url: str) -> Iterator[Store]:
    store = open_store(cluster_url)
    yield store
    store.close()


def test_one_entity_shares_one_hash_slot(cluster_url: str) -> None:
    node = redis.Redis.from_url("redis://" + cluster_url.removeprefix("redis+cluster://"))

    def slot(key: str) -> int:
        return int(node.cluster("keyslot", key))

    entity = "org_42"
    assert slot(keys.entity_key(entity)) == slot(keys.usage_key(entity, "seats", 1000))
    assert slot(keys.entity_key(entity)) == slot(keys.usage_key(entity, "credits", 2000))
    assert slot(keys.entity_key(entity)) != slot(keys.entity_key("org_43"))
    # The meter outbox's index set is in the entity's slot, so `consume` stays one step.
    assert slot(keys.entity_key(entity)) == slot(keys.entity_meter_index_key(entity))
    assert slot(keys.entity_key(entity)) == keys.key_slot(entity)


def test_records_counters_and_claims_on_the_cluster(cluster_store: Store) -> None:
    entities = [f"cluster_user_{i}" for i in range(50)]
    for i, entity in enumerate(entities):
        cluster_store.set_customer(entity, f"cus_c{i}")
        cluster_store.set_subscription(entity, {"status": "active", "price_id": f"price_{i}"})
    # The pipelined read spans every node.
    records = cluster_store.get_records([*entities, "cluster_nobody"])
    assert records[7] == EntityRecord("cus_c7", {"status": "active", "price_id": "price_7"})
    assert records[-1] == EntityRecord(None, None)
    assert cluster_store.entity_for_customer("cus_c49") == "cluster_user_49"
    assert cluster_store.claim("event:evt_c", "t1", 60) is True
    assert cluster_store.claim("event:evt_c", "t2", 60) is False
    cluster_store.set_catalog("{}")
    assert cluster_store.get_catalog() == "{}"


def test_concurrent_consume_on_the_cluster(cluster_store: Store) -> None:
    accepted: list[int] = []

    def work() -> None:
        for _ in range(100):
            try:
                cluster_store.consume("cluster_org", "credits", 1, 1, 300, 3600)
                accepted.append(1)
            except LimitExceeded:
                pass

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == 300
    assert cluster_store.usage("cluster_org", "credits", 1) == 300


def test_a_slot_no_node_serves_is_the_store_unavailable(cluster_store: Store) -> None:
    assert isinstance(cluster_store, RedisStore)
    error = cluster_store._translate(redis.exceptions.SlotNotCoveredError("Slot 7 not covered"))
    assert isinstance(error, StoreUnavailable)
    assert str(error) == (
        f"{cluster_store.description} is unreachable (SlotNotCoveredError: Slot 7 not covered); "
        "check REDIS_URL and that the server is running"
    )
