"""Entitlement checks and usage counters against a plain redis GET loop, in one run.

    .venv/bin/python benchmarks/entitlements_speed.py [--n 20000]

Starts a private redis-server and the Stripe emulator, creates one product and price, caches
an active subscription for 1,000 entities, then measures on the same server:
- a plain redis-py `GET` loop (the baseline: one round trip per call);
- `Billing.entitlements(entity)` (one HMGET round trip plus the in-process catalog lookup):
  checks/s, p50 and p99 latency, and the ratio to the baseline (target >= 0.8);
- `Billing.entitlements_many` for 1,000 entities (one pipelined round trip);
- `Billing.consume` per second, one thread (interleaved with the GET loop, so its ratio to
  the baseline is printed too) and 16 threads (target >= 5,000/s on one thread).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable, Mapping

import redis
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


def setup(emulator_url: str, redis_url: str) -> tuple[Billing, str]:
    client = stripe.StripeClient(KEY, base_addresses={"api": emulator_url}, max_network_retries=0)
    product = client.v1.products.create(
        params={"name": "Bench", "metadata": {"plan-key": "bench", "managed-by": "reconciler"}}
    )
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "lookup_key": "bench_monthly",
            "metadata": {"limits:credits": "100000000", "features:API": "true"},
        }
    )
    loaded = load_plans("plans")
    assert loaded.plans is not None
    store = open_store(redis_url)
    billing = Billing(loaded.plans, store, client, StripeSettings(KEY, emulator_url))
    return billing, str(price.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="calls per measured loop")
    n = parser.parse_args().n
    with redis_server() as redis_url, run_in_thread() as emulator:
        billing, price_id = setup(emulator.url, redis_url)
        now = int(time.time())
        entities = [f"bench_{i}" for i in range(1000)]
        for i, entity in enumerate(entities):
            billing.store.set_customer(entity, f"cus_bench_{i}")
            billing.store.set_subscription(
                entity,
                {
                    "subscription_id": f"sub_{i}",
                    "status": "active",
                    "price_id": price_id,
                    "current_period_start": now - 86_400,
                    "current_period_end": now + 29 * 86_400,
                    "cancel_at_period_end": False,
                    "payment_method": None,
                },
            )
        assert billing.entitlements("bench_1")["plan"] == "bench"
        plain = redis.Redis.from_url(redis_url, decode_responses=True)
        plain.set("bench:plain", "x" * 200)

        # Warm every path, then measure them interleaved on the same server.
        loops: dict[str, Callable[[int], object]] = {
            "get": lambda i: plain.get("bench:plain"),
            "entitlements": lambda i: billing.entitlements(entities[i % 1000]),
            "has_feature": lambda i: billing.has_feature(entities[i % 1000], "API"),
            "consume": lambda i: billing.consume(entities[i % 1000], "credits"),
        }
        interleaved(3000, loops, rounds=1)
        rates = interleaved(n, loops)
        get_rate, get_p50, get_p99 = rates["get"]
        ent_rate, ent_p50, ent_p99 = rates["entitlements"]
        feat_rate = rates["has_feature"][0]

        many = []
        for _ in range(20):
            t0 = time.perf_counter()
            answers = billing.entitlements_many(entities)
            many.append(time.perf_counter() - t0)
        assert len(answers) == 1000 and answers["bench_999"]["plan"] == "bench"

        one_rate = rates["consume"][0]
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

    def line(label: str, rate: float, p50: float, p99: float) -> str:
        return f"{label:<27} {rate:9.0f} /s  p50 {p50:6.1f} µs  p99 {p99:6.1f} µs"

    print(line("plain redis GET loop:", get_rate, get_p50, get_p99))
    print(line("entitlements(entity):", ent_rate, ent_p50, ent_p99))
    print(f"  ratio to GET loop:        {ent_rate / get_rate:9.2f}   (target >= 0.80)")
    print(f"has_feature(entity, name):  {feat_rate:9.0f} /s  ratio {feat_rate / get_rate:.2f}")
    median_ms = statistics.median(many) * 1e3
    print(f"entitlements_many(1,000):   median {median_ms:6.1f} ms (one pipelined round trip)")
    print(f"consume, 1 thread:          {one_rate:9.0f} /s   (target >= 5,000/s)")
    print(f"  ratio to GET loop:        {one_rate / get_rate:9.2f}   (one script, op id kept)")
    print(f"consume, 16 threads:        {multi_rate:9.0f} /s")


if __name__ == "__main__":
    main()
