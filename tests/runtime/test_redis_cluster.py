"""The Redis store on a real three-node Redis Cluster started here."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import redis

from reconciler.errors import LimitExceeded
from reconciler.runtime.store import EntityRecord, Store, keys, open_store
from reconciler.testing import free_port, redis_server

pytestmark = pytest.mark.skipif(
    shutil.which("redis-cli") is None, reason="redis-cli is not installed (needed for a cluster)"
)


@pytest.fixture(scope="module")
def cluster_url() -> Iterator[str]:
    with ExitStack() as stack:
        # The cluster bus defaults to port + 10000, past 65535 for a high free port: give
        # each node its own free bus port instead.
        urls = [
            stack.enter_context(
                redis_server(
                    (
                        "--cluster-enabled",
                        "yes",
                        "--cluster-node-timeout",
                        "2000",
                        "--cluster-port",
                        str(free_port()),
                    )
                )
            )
            for _ in range(3)
        ]
        nodes = [u.removeprefix("redis://").removesuffix("/0") for u in urls]
        subprocess.run(
            [
                "redis-cli",
                "--cluster",
                "create",
                *nodes,
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        deadline = time.monotonic() + 30
        while redis.Redis.from_url(urls[0]).cluster("info").get("cluster_state") != "ok":
            assert time.monotonic() < deadline, "the cluster did not reach state ok"
            time.sleep(0.1)
        yield f"redis+cluster://{nodes[0]}"


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
