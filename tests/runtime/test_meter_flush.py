"""Metered usage end to end: consumes on real Redis, `reconciler usage flush` processes killed
with SIGKILL at random points while consumes go on, then one run to completion; the meter
event totals the emulator computes equal the consumed totals per customer, exactly."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import stripe

from reconciler.model import Plans
from reconciler.runtime.store import Store
from reconciler.testing import EmulatorControl
from tests.runtime.conftest import TEST_KEY, make_billing, push_plans
from tests.runtime.consumers import CONSUMER

ROOT = Path(__file__).resolve().parents[2]
FILES = {
    "reconciler.yaml": "default_plan: free\n",
    # The limit names the meter by event name; the test creates it in the emulator.
    "billing.yaml": """meters:
  - {key: api_requests, event_name: api_requests, display_name: API requests, formula: sum}
""",
    "free.yaml": """product: {key: free, name: Free}
limits: {api-calls: {value: unlimited, meter: api_requests}, seats: 1}
prices:
  - {lookup_key: free_monthly, amount: 0, currency: usd, recurring: {interval: month}}
""",
}
ENTITIES = 1000
CONSUMES = 100_000


def cli_env(emulator: EmulatorControl, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "STRIPE_API_KEY": TEST_KEY,
        "STRIPE_API_BASE": emulator.url,
        "REDIS_URL": redis_url,
    }


def start_flusher(plans_dir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "reconciler", "usage", "flush", "--plans", str(plans_dir)]
    return subprocess.Popen(
        [*command, "--rate", "5000", "--lease", "0.05", "--format", "json"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_flushers_lose_nothing_and_bill_nothing_twice(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    plans_dir: Path,
    redis_store: Store,
    redis_url: str,
) -> None:
    push_plans(stripe_client, plans)
    meter = stripe_client.v1.billing.meters.create(
        params={
            "display_name": "API requests",
            "event_name": "api_requests",
            "default_aggregation": {"formula": "sum"},
        }
    )
    started = emulator.now()
    entities = [f"org-{i}" for i in range(ENTITIES)]

    def map_customer(entity: str) -> str:
        customer = stripe_client.v1.customers.create(params={"metadata": {"entityId": entity}})
        redis_store.set_customer(entity, customer.id)
        return str(customer.id)

    with ThreadPoolExecutor(8) as pool:
        customers = dict(zip(entities, pool.map(map_customer, entities), strict=True))

    rng = random.Random(11)
    env = cli_env(emulator, redis_url)
    consumers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CONSUMER,
                str(plans_dir),
                str(seed),
                str(CONSUMES // 2),
                "org",
                "1000",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    kills = 0
    while any(c.poll() is None for c in consumers):
        # Kill a running sender wherever it is (taking, sending or finishing a batch).
        flusher = start_flusher(plans_dir, env)
        time.sleep(rng.uniform(0.2, 1.2))
        if flusher.poll() is None:
            flusher.send_signal(signal.SIGKILL)
            kills += 1
        flusher.wait()
    consumed: Counter[str] = Counter()
    for consumer in consumers:
        out, err = consumer.communicate()
        assert consumer.returncode == 0, err
        consumed.update(json.loads(out))
    assert sum(consumed.values()) >= CONSUMES
    assert kills >= 3

    # Run to completion: until the outbox is empty (a batch of a killed sender waits out its
    # 50 ms lease, so it may take a second pass).
    for _ in range(10):
        finishing = start_flusher(plans_dir, env)
        _, err = finishing.communicate(timeout=120)
        assert finishing.returncode == 0, err
        if not redis_store.metered_entities():
            break
    assert redis_store.metered_entities() == []
    assert sum(consumed.values()) == sum(
        redis_store.meter_usage(e)["api_requests"].consumed for e in consumed
    )

    end = (emulator.now() // 60 + 2) * 60
    start = (started // 60 - 1) * 60

    def billed(entity: str) -> int:
        summaries = stripe_client.v1.billing.meters.event_summaries.list(
            meter.id,
            params={"customer": customers[entity], "start_time": start, "end_time": end},
        )
        return int(sum(s.aggregated_value for s in summaries.data))

    with ThreadPoolExecutor(8) as pool:
        totals = dict(zip(entities, pool.map(billed, entities), strict=True))
    assert totals == {e: consumed[e] for e in entities}
    billing = make_billing(emulator, plans, redis_store)
    usage = billing.usage(entities[0], "api-calls")
    assert usage["meter"] == "api_requests"
    assert (usage["consumed"], usage["unflushed"]) == (consumed[entities[0]], 0)
