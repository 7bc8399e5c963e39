"""Metered limits on a real three-node Redis Cluster: the counter and the outbox entry in one
step in the entity's hash slot, a flusher that finds every slot's pending usage, exact meter
event totals per customer, nothing billed twice, and flushers SIGKILLed at random points."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
import stripe

from reconciler.model import Plans
from reconciler.runtime.store import Store, keys, open_store
from reconciler.testing import EmulatorControl, LocalCluster
from tests.runtime.conftest import make_billing, push_plans
from tests.runtime.consumers import CONSUMER
from tests.runtime.test_meter_flush import FILES as METERED_FILES
from tests.runtime.test_meter_flush import ROOT, cli_env, start_flusher

# The plan files the `plans` fixture writes (tests/runtime/conftest.py): a metered plan.
FILES = METERED_FILES

ENTITIES = [f"team-{i}" for i in range(20)]
CONSUMES = 2000


@pytest.fixture
def cluster_store(redis_cluster_nodes: LocalCluster) -> Store:
    redis_cluster_nodes.flushall()
    return open_store(redis_cluster_nodes.url)


def setup_meter(
    client: stripe.StripeClient, plans: Plans, store: Store
) -> tuple[str, dict[str, str]]:
    """The catalog and meter in the emulator, and a customer mapped for each entity."""
    push_plans(client, plans)
    meter = client.v1.billing.meters.create(
        params={
            "display_name": "API requests",
            "event_name": "api_requests",
            "default_aggregation": {"formula": "sum"},
        }
    )
    customers = {}
    for entity in ENTITIES:
        customer = client.v1.customers.create(params={"metadata": {"entityId": entity}})
        store.set_customer(entity, customer.id)
        customers[entity] = str(customer.id)
    return str(meter.id), customers


def billed_totals(
    client: stripe.StripeClient, emulator: EmulatorControl, meter: str, customers: dict[str, str]
) -> dict[str, int]:
    now = emulator.now()
    start, end = (now // 60 - 60) * 60, (now // 60 + 2) * 60
    totals = {}
    for entity, customer in customers.items():
        summaries = client.v1.billing.meters.event_summaries.list(
            meter, params={"customer": customer, "start_time": start, "end_time": end}
        )
        totals[entity] = int(sum(s.aggregated_value for s in summaries.data))
    return totals


def test_metered_consumes_on_a_cluster_are_billed_exactly_once(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    cluster_store: Store,
    redis_cluster_nodes: LocalCluster,
) -> None:
    meter, customers = setup_meter(stripe_client, plans, cluster_store)
    billing = make_billing(emulator, plans, cluster_store)
    rng = random.Random(5)
    consumed: Counter[str] = Counter()
    for _ in range(CONSUMES):
        entity, amount = rng.choice(ENTITIES), rng.randint(1, 3)
        billing.consume(entity, "api-calls", amount)
        consumed[entity] += amount
    # Every entity's index entry is in its own slot, and the slots are on all three nodes.
    slots = {keys.key_slot(e) for e in ENTITIES}
    nodes = {
        port
        for port in redis_cluster_nodes.ports
        for slot in slots
        if redis.Redis(port=port).cluster("countkeysinslot", slot)
    }
    assert len(nodes) == 3
    assert cluster_store.metered_entities() == sorted(ENTITIES)
    # Read back over the three nodes in one pipeline, as /metrics does.
    assert cluster_store.unsent_usage() == sum(consumed.values())

    report = billing.flush_usage(rate=5000)
    assert (report.events, report.units, report.failed) == (20, sum(consumed.values()), {})
    assert cluster_store.metered_entities() == []
    assert cluster_store.unsent_usage() == 0
    assert billed_totals(stripe_client, emulator, meter, customers) == dict(consumed)
    again = billing.flush_usage(rate=5000)
    assert (again.events, again.units, again.duplicates) == (0, 0, 0)
    assert billed_totals(stripe_client, emulator, meter, customers) == dict(consumed)
    usage = billing.usage(ENTITIES[0], "api-calls")
    assert (usage["consumed"], usage["unflushed"]) == (consumed[ENTITIES[0]], 0)
    billing.close()


def test_flushers_killed_on_a_cluster_lose_nothing_and_bill_nothing_twice(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    plans_dir: Path,
    cluster_store: Store,
    redis_cluster_nodes: LocalCluster,
) -> None:
    meter, customers = setup_meter(stripe_client, plans, cluster_store)
    env = cli_env(emulator, redis_cluster_nodes.url)
    consumer = subprocess.Popen(
        [sys.executable, "-c", CONSUMER, str(plans_dir), "3", str(CONSUMES), "team", "20"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    rng, kills, rounds = random.Random(17), 0, 0
    while consumer.poll() is None or (kills < 3 and rounds < 60):
        rounds += 1
        # Kill a running sender wherever it is (sweeping, taking, sending or finishing).
        flusher = start_flusher(plans_dir, env)
        time.sleep(rng.uniform(0.3, 1.5))
        if flusher.poll() is None:
            flusher.send_signal(signal.SIGKILL)
            kills += 1
        flusher.wait()
    out, err = consumer.communicate()
    assert consumer.returncode == 0, err
    consumed = Counter(json.loads(out))
    assert kills >= 3
    assert sum(consumed.values()) >= CONSUMES

    for _ in range(10):  # a killed sender's batch waits out its 50 ms lease
        finishing = start_flusher(plans_dir, env)
        _, err = finishing.communicate(timeout=120)
        assert finishing.returncode == 0, err
        if not cluster_store.metered_entities():
            break
    assert cluster_store.metered_entities() == []
    assert billed_totals(stripe_client, emulator, meter, customers) == {
        e: consumed[e] for e in ENTITIES
    }


def test_usage_of_a_slot_moved_by_a_resharding_is_found_on_its_new_node(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    cluster_store: Store,
    redis_cluster_nodes: LocalCluster,
) -> None:
    meter, customers = setup_meter(stripe_client, plans, cluster_store)
    billing = make_billing(emulator, plans, cluster_store)
    entity = ENTITIES[3]
    billing.consume(entity, "api-calls", 5)
    assert cluster_store.metered_entities() == [entity]
    slot = keys.key_slot(entity)
    source = redis_cluster_nodes.owner(slot)
    try:
        redis_cluster_nodes.move_slot(slot, (source + 1) % 3)
        billing.consume(entity, "api-calls", 2)  # counted on the new node, same outbox
        assert cluster_store.metered_entities() == [entity]
        report = billing.flush_usage(rate=5000)
        assert (report.events, report.units) == (1, 7)
        assert cluster_store.metered_entities() == []
        assert billed_totals(stripe_client, emulator, meter, {entity: customers[entity]}) == {
            entity: 7
        }
    finally:
        redis_cluster_nodes.move_slot(slot, source)
    billing.close()
