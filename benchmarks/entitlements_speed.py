"""Entitlement checks and usage counters against a plain redis GET loop, in one run.

    .venv/bin/python benchmarks/entitlements_speed.py [--n 20000]

Starts a private redis-server and the Stripe emulator, creates two products and prices,
caches an active subscription for 1,000 entities, then measures on the same server:
- a plain redis-py `GET` loop (the baseline: one round trip per call);
- `Billing.entitlements(entity)` with the in-process record cache (the default): checks/s,
  p50 and p99 latency, and the ratio to the baseline (target >= 10);
- the same with the cache off (one HMGET round trip per check);
- the time from a record written by another process to this process seeing the change in
  `entitlements` (checked every 0.5 ms): p50 and p99 over 200 writes (target p99 < 100 ms);
- `Billing.entitlements_many` for 1,000 entities;
- `Billing.consume` per second, one thread (interleaved with the GET loop, so its ratio to
  the baseline is printed too) and 16 threads (target >= 5,000/s on one thread);
- `Billing.consume` of a limit with a meter (the usage also goes to the meter outbox in the
  same script), one thread (target >= 5,000/s).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping

import redis
import redis.cluster
import stripe

from reconciler.emulator import run_in_thread
from reconciler.plans import load_plans
from reconciler.runtime.billing import Billing
from reconciler.runtime.store import open_store
from reconciler.stripe_client import StripeSettings
from reconciler.testing import redis_server

KEY = "sk_test_benchmark"


def interleaved(
    n: int, loops: Mapping[str, Callable[[int], object]], rounds: int = 10
) -> dict[str, tuple[float, float, float]]:
    """(calls per second, p50 µs, p99 µs) of each loop: `rounds` rounds in which every loop
    runs n / rounds calls in turn, so background load on the machine hits all alike."""
    latencies: dict[str, list[float]] = {name: [] for name in loops}
    spent = dict.fromkeys(loops, 0.0)
    per_round = n // rounds
    for r in range(rounds):
        for name, call in loops.items():
            own = latencies[name]
            start = time.perf_counter()
            for i in range(r * per_round, (r + 1) * per_round):
                t0 = time.perf_counter()
                call(i)
                own.append(time.perf_counter() - t0)
            spent[name] += time.perf_counter() - start
    out = {}
    for name, own in latencies.items():
        own.sort()
        p50, p99 = own[len(own) // 2] * 1e6, own[int(len(own) * 0.99)] * 1e6
        out[name] = (len(own) / spent[name], p50, p99)
    return out


def make_price(client: stripe.StripeClient, key: str) -> str:
    product = client.v1.products.create(
        params={"name": key.title(), "metadata": {"plan-key": key, "managed-by": "reconciler"}}
    )
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "lookup_key": f"{key}_monthly",
            "metadata": {
                "limits:credits": "100000000",
                "limits:metered": "value=100000000;meter=bench_events",
                "features:API": "true",
            },
        }
    )
    return str(price.id)


def setup(emulator_url: str, redis_url: str, record_cache: bool = True) -> tuple[Billing, str]:
    client = stripe.StripeClient(KEY, base_addresses={"api": emulator_url}, max_network_retries=0)
    loaded = load_plans("plans")
    assert loaded.plans is not None
    store = open_store(redis_url, record_cache=record_cache)
    billing = Billing(loaded.plans, store, client, StripeSettings(KEY, emulator_url))
    if not billing.catalog.view().prices:
        make_price(client, "bench")
        make_price(client, "other")
        billing.refresh_catalog()
    view = billing.catalog.view()
    return billing, next(p.price_id for p in view.prices if p.grant.plan == "bench")


def subscription(price_id: str, now: int, **extra: object) -> dict[str, object]:
    return {
        "subscription_id": "sub_bench",
        "status": "active",
        "price_id": price_id,
        "current_period_start": now - 86_400,
        "current_period_end": now + 29 * 86_400,
        "cancel_at_period_end": False,
        "payment_method": None,
        **extra,
    }


ACK_KEY = "bench:seen"


def seed_entities(billing: Billing, price_id: str, connect_timeout: float) -> list[str]:
    """1,000 entities, each with a customer and a subscription to `price_id`, once the
    store's invalidation listener is connected (so the record cache is on)."""
    tracking = getattr(billing.store, "tracking", None)
    assert tracking is not None and tracking.wait_connected(connect_timeout)
    now = int(time.time())
    entities = [f"bench_{i}" for i in range(1000)]
    for i, entity in enumerate(entities):
        billing.store.set_customer(entity, f"cus_bench_{i}")
        billing.store.set_subscription(entity, subscription(price_id, now))
    assert billing.entitlements("bench_1")["plan"] == "bench"
    return entities


def plain_client(url: str) -> redis.Redis | redis.cluster.RedisCluster:
    """A plain redis-py client for a store URL (`redis+cluster://` too), for acks and the
    baseline GET loop."""
    if url.startswith("redis+cluster://"):
        return redis.cluster.RedisCluster.from_url(
            "redis://" + url.removeprefix("redis+cluster://"), decode_responses=True
        )
    return redis.Redis.from_url(url, decode_responses=True)


def write_plans(redis_url: str, entity: str, prices: list[str], count: int) -> None:
    """The writer process: switch the entity's plan `count` times, stamping each write and
    waiting for the reader to acknowledge it before the next one."""
    store = open_store(redis_url, record_cache=False)
    acks = plain_client(redis_url)
    for i in range(count):
        time.sleep(0.005)
        price = prices[(i + 1) % 2]
        store.set_subscription(
            entity, subscription(price, int(time.time()), written_at=time.time(), n=i)
        )
        deadline = time.monotonic() + 5
        while acks.get(ACK_KEY) != str(i) and time.monotonic() < deadline:
            time.sleep(0.001)
    store.close()


def seen_latencies(billing: Billing, redis_url: str, count: int) -> list[float]:
    """Seconds from another process writing a new plan to `entitlements` answering it."""
    view = billing.catalog.view()
    prices = sorted(p.price_id for p in view.prices if p.grant.plan in ("bench", "other"))
    entity = "bench_latency"
    first = next(p.grant.plan for p in view.prices if p.price_id == prices[0])
    billing.store.set_subscription(entity, subscription(prices[0], int(time.time())))
    assert billing.entitlements(entity)["plan"] == first
    command = [sys.executable, __file__, "--write-to", redis_url, "--entity", entity]
    writer = subprocess.Popen([*command, "--prices", json.dumps(prices), "--count", str(count)])
    acks = plain_client(redis_url)
    latencies: list[float] = []
    plan = first
    deadline = time.monotonic() + 60
    while len(latencies) < count and time.monotonic() < deadline:
        # A request loop waits on I/O between checks; a loop that never released the GIL
        # would starve the invalidation listener thread of this process.
        time.sleep(0.0005)
        now_plan = billing.entitlements(entity)["plan"]
        if now_plan != plan:
            seen = time.time()
            plan = now_plan
            record = billing.store.get_record(entity).subscription or {}
            latencies.append(seen - float(record["written_at"]))
            acks.set(ACK_KEY, str(record["n"]))
    writer.wait()
    assert len(latencies) == count, f"saw {len(latencies)} of {count} writes"
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="calls per measured loop")
    parser.add_argument("--write-to", help=argparse.SUPPRESS)
    parser.add_argument("--entity", help=argparse.SUPPRESS)
    parser.add_argument("--prices", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=200, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_to:
        write_plans(args.write_to, args.entity, json.loads(args.prices), args.count)
        return
    n = args.n
    with redis_server() as redis_url, run_in_thread() as emulator:
        billing, price_id = setup(emulator.url, redis_url)
        uncached, _ = setup(emulator.url, redis_url, record_cache=False)
        entities = seed_entities(billing, price_id, 5.0)
        plain = plain_client(redis_url)
        plain.set("bench:plain", "x" * 200)

        # Warm every path, then measure them interleaved on the same server.
        loops: dict[str, Callable[[int], object]] = {
            "get": lambda i: plain.get("bench:plain"),
            "entitlements": lambda i: billing.entitlements(entities[i % 1000]),
            "uncached": lambda i: uncached.entitlements(entities[i % 1000]),
            "has_feature": lambda i: billing.has_feature(entities[i % 1000], "API"),
            "consume": lambda i: billing.consume(entities[i % 1000], "credits"),
            "metered": lambda i: billing.consume(entities[i % 1000], "metered"),
        }
        interleaved(3000, loops, rounds=1)
        rates = interleaved(n, loops)
        get_rate, get_p50, get_p99 = rates["get"]
        ent_rate, ent_p50, ent_p99 = rates["entitlements"]
        off_rate, off_p50, off_p99 = rates["uncached"]
        feat_rate = rates["has_feature"][0]
        latencies = sorted(seen_latencies(billing, redis_url, 200))

        many = []
        for _ in range(20):
            t0 = time.perf_counter()
            answers = billing.entitlements_many(entities)
            many.append(time.perf_counter() - t0)
        assert len(answers) == 1000 and answers["bench_999"]["plan"] == "bench"

        one_rate = rates["consume"][0]
        metered_rate = rates["metered"][0]
        unflushed = sum(
            u.unflushed for e in entities for u in billing.store.meter_usage(e).values()
        )
        assert unflushed == 3000 + n // 10 * 10, unflushed  # warm-up + measured calls
        per_thread = n // 16
        threads = [
            threading.Thread(
                target=lambda t=t: [
                    billing.consume(entities[(t * 7 + j) % 1000], "credits")
                    for j in range(per_thread)
                ]
            )
            for t in range(16)
        ]
        t0 = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        multi_rate = per_thread * 16 / (time.perf_counter() - t0)
        billing.close()
        uncached.close()

    def line(label: str, rate: float, p50: float, p99: float) -> str:
        return f"{label:<27} {rate:9.0f} /s  p50 {p50:6.1f} µs  p99 {p99:6.1f} µs"

    print(line("plain redis GET loop:", get_rate, get_p50, get_p99))
    print(line("entitlements(entity):", ent_rate, ent_p50, ent_p99))
    print(f"  ratio to GET loop:        {ent_rate / get_rate:9.2f}   (target >= 10)")
    print(line("  with the cache off:", off_rate, off_p50, off_p99))
    print(f"  ratio to GET loop:        {off_rate / get_rate:9.2f}")
    print(f"has_feature(entity, name):  {feat_rate:9.0f} /s  ratio {feat_rate / get_rate:.2f}")
    seen_p50 = latencies[len(latencies) // 2] * 1e3
    seen_p99 = latencies[int(len(latencies) * 0.99)] * 1e3
    print(
        f"write in another process -> seen: p50 {seen_p50:6.2f} ms  p99 {seen_p99:6.2f} ms "
        f"over {len(latencies)} writes (target p99 < 100 ms)"
    )
    median_ms = statistics.median(many) * 1e3
    print(f"entitlements_many(1,000):   median {median_ms:6.1f} ms")
    print(f"consume, 1 thread:          {one_rate:9.0f} /s   (target >= 5,000/s)")
    print(f"  ratio to GET loop:        {one_rate / get_rate:9.2f}   (one script, op id kept)")
    print(f"consume with a meter:       {metered_rate:9.0f} /s   (target >= 5,000/s)")
    print(f"  ratio to GET loop:        {metered_rate / get_rate:9.2f}   (usage in the outbox too)")
    print(f"consume, 16 threads:        {multi_rate:9.0f} /s")


if __name__ == "__main__":
    main()
