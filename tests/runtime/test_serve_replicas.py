"""Two `reconciler serve` replicas on one Redis Cluster store behind a round-robin balancer:
deliveries spread over both, every customer cached, at most two Stripe re-reads for three quick
events of one customer, a replica SIGKILLed mid-drain leaves its claimed re-reads to the other,
and SIGTERM flushes metered usage once more."""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import stripe

from reconciler.model import Plans
from reconciler.runtime.store import Store, open_store
from reconciler.runtime.sync_queue import QUEUE
from reconciler.testing import EmulatorControl, LocalCluster, eventually
from tests.runtime.conftest import make_billing, push_plans
from tests.runtime.serving import start_serve
from tests.runtime.test_meter_flush import FILES as METERED_FILES
from tests.runtime.test_webhooks import event, signed

# The plan files the `plans` fixture writes (tests/runtime/conftest.py): a metered plan.
FILES = METERED_FILES

SECRET = "whsec_replicas"
CUSTOMERS = 40


@dataclass
class Replica:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text()

    def reads(self) -> Counter[str]:
        return Counter(re.findall(r"re-read customer:(cus_\w+)", self.text()))


@pytest.fixture
def store(redis_cluster_nodes: LocalCluster) -> Iterator[Store]:
    redis_cluster_nodes.flushall()
    opened = open_store(redis_cluster_nodes.url)
    yield opened
    opened.close()


@pytest.fixture
def customers(stripe_client: stripe.StripeClient, plans: Plans) -> dict[str, str]:
    """Entity -> customer, each with a trialing subscription in the emulator."""
    ids = push_plans(stripe_client, plans)
    out = {}
    for n in range(CUSTOMERS):
        entity = f"rep-{n}"
        customer = stripe_client.v1.customers.create(params={"metadata": {"entityId": entity}})
        stripe_client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": ids["free_monthly"]}],
                "trial_period_days": 30,
            }
        )
        out[entity] = str(customer.id)
    return out


def start(
    tmp_path: Path, name: str, emulator: EmulatorControl, url: str, plans_dir: Path, *args: str
) -> Replica:
    log = tmp_path / f"{name}.log"
    port, process = start_serve(
        ["--plans", str(plans_dir), *args],
        emulator_url=emulator.url,
        redis_url=url,
        secret=SECRET,
        log=log,
        cwd=tmp_path,
    )
    return Replica(port, process, log)


def deliver(replica: Replica, payload: bytes) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{replica.port}/stripe/webhook",
        data=payload,
        method="POST",
        headers={"Stripe-Signature": signed(payload, SECRET)},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def stop(replica: Replica) -> str:
    if replica.process.poll() is None:
        replica.process.send_signal(signal.SIGTERM)
    replica.process.wait(timeout=30)
    return replica.text()


def test_two_replicas_share_the_deliveries_and_read_each_customer_at_most_twice(
    emulator: EmulatorControl,
    plans_dir: Path,
    store: Store,
    customers: dict[str, str],
    redis_cluster_nodes: LocalCluster,
    tmp_path: Path,
) -> None:
    url = redis_cluster_nodes.url
    replicas = [start(tmp_path, f"r{i}", emulator, url, plans_dir) for i in range(2)]
    answered: list[tuple[int, int]] = []

    def three_quick_events(n: int, customer: str) -> None:
        # The balancer sends each delivery to the next replica in turn.
        for k in range(3):
            payload = event(f"evt_{n}_{k}", "customer.subscription.updated", {"customer": customer})
            replica = (3 * n + k) % 2
            answered.append((replica, deliver(replicas[replica], payload)))

    try:
        threads = [
            threading.Thread(target=three_quick_events, args=(n, c))
            for n, c in enumerate(customers.values())
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert Counter(answered) == {(0, 200): 60, (1, 200): 60}
        eventually(lambda: store.queue_length(QUEUE) == 0, timeout=60)
        for entity in customers:
            assert (store.get_subscription(entity) or {}).get("status") == "trialing", entity
    finally:
        logs = [stop(r) for r in replicas]
    assert all(r.process.returncode == 0 for r in replicas), logs
    assert [log.count(": queued") for log in logs] == [60, 60]
    reads = replicas[0].reads() + replicas[1].reads()
    assert set(reads) == set(customers.values())
    assert max(reads.values()) <= 2, reads
    assert all(r.reads() for r in replicas)  # both replicas drained the queue


def test_a_replica_killed_mid_drain_leaves_its_claimed_re_reads_to_the_other(
    emulator: EmulatorControl,
    plans_dir: Path,
    store: Store,
    customers: dict[str, str],
    redis_cluster_nodes: LocalCluster,
    tmp_path: Path,
) -> None:
    url = redis_cluster_nodes.url
    # Slow re-reads (4/s shared by both) so the queue is still draining at the kill; a
    # killed replica's claims come back after 3 s.
    args = ("--stripe-rate", "4", "--readers", "2", "--reread-lease", "3")
    doomed, survivor = (start(tmp_path, f"k{i}", emulator, url, plans_dir, *args) for i in (0, 1))
    try:
        for n, customer in enumerate(customers.values()):
            payload = event(f"evt_k{n}", "customer.subscription.updated", {"customer": customer})
            assert deliver((doomed, survivor)[n % 2], payload) == 200
        eventually(lambda: sum(doomed.reads().values()) >= 3, timeout=60)
        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait(timeout=10)
        left = store.queue_length(QUEUE)
        assert left > 0  # killed mid-drain
        eventually(lambda: store.queue_length(QUEUE) == 0, timeout=60)
        for entity in customers:
            assert (store.get_subscription(entity) or {}).get("status") == "trialing", entity
    finally:
        stop(survivor)
        if doomed.process.poll() is None:
            doomed.process.kill()
    assert survivor.process.returncode == 0
    assert set(doomed.reads()) | set(survivor.reads()) == set(customers.values())


def test_sigterm_flushes_metered_usage_once_more(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    plans_dir: Path,
    store: Store,
    customers: dict[str, str],
    redis_cluster_nodes: LocalCluster,
    tmp_path: Path,
) -> None:
    stripe_client.v1.billing.meters.create(
        params={
            "display_name": "API requests",
            "event_name": "api_requests",
            "default_aggregation": {"formula": "sum"},
        }
    )
    billing = make_billing(emulator, plans, store)
    for entity, customer in list(customers.items())[:5]:
        store.set_customer(entity, customer)
        billing.consume(entity, "api-calls", 7)
    assert len(store.metered_entities()) == 5
    # No pass before the stop: the interval is an hour.
    replica = start(
        tmp_path, "t", emulator, redis_cluster_nodes.url, plans_dir, "--flush-interval", "3600"
    )
    text = stop(replica)
    assert replica.process.returncode == 0, text
    assert store.metered_entities() == []
    assert "metered usage flushed on stop: {'events': 5, 'units': 35," in text
    assert billing.usage("rep-0", "api-calls")["unflushed"] == 0
