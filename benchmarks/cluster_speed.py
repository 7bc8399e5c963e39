"""Entitlement checks, write-to-seen and `consume` on a local three-node Redis Cluster, against a
plain cluster GET loop, in one run.

    .venv/bin/python benchmarks/cluster_speed.py [--n 10000]

Starts three redis-server nodes joined into a cluster (`reconciler.testing.redis_cluster`) and
the Stripe emulator, caches an active subscription for 1,000 entities (their slots on all three
nodes), then measures interleaved on the same cluster:
- a plain redis-py `RedisCluster.get` loop (the baseline: one round trip per call);
- `Billing.entitlements(entity)` with the record cache (the default, one listener per node):
  the ratio to the baseline (target >= 10);
- the time from a record written by another process to this process seeing it in
  `entitlements`: p50 and p99 over 200 writes (target p99 < 100 ms);
- `Billing.consume` without and with a meter (counter, op id, outbox and the slot's outbox
  index in one script), each as a ratio to the baseline.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from entitlements_speed import (
    interleaved,
    plain_client,
    seed_entities,
    seen_latencies,
    setup,
)

from reconciler.emulator import run_in_thread
from reconciler.testing import redis_cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="calls per measured loop")
    n = parser.parse_args().n
    with redis_cluster(3) as cluster, run_in_thread() as emulator:
        url = cluster.url
        billing, price_id = setup(emulator.url, url)
        entities = seed_entities(billing, price_id, 10.0)
        plain = plain_client(url)
        plain.set("bench:plain", "x" * 200)
        loops: dict[str, Callable[[int], object]] = {
            "get": lambda i: plain.get("bench:plain"),
            "entitlements": lambda i: billing.entitlements(entities[i % 1000]),
            "consume": lambda i: billing.consume(entities[i % 1000], "credits"),
            "metered": lambda i: billing.consume(entities[i % 1000], "metered"),
        }
        interleaved(2000, loops, rounds=1)
        rates = interleaved(n, loops)
        cached = len(billing.store.record_cache)  # type: ignore[attr-defined]
        latencies = sorted(seen_latencies(billing, url, 200))
        pending = len(billing.store.metered_entities())
        billing.close()

    def line(label: str, rate: float, p50: float, p99: float) -> str:
        return f"{label:<27} {rate:9.0f} /s  p50 {p50:7.1f} µs  p99 {p99:7.1f} µs"

    get_rate = rates["get"][0]
    print(line("plain cluster GET loop:", *rates["get"]))
    print(line("entitlements(entity):", *rates["entitlements"]))
    print(
        f"  ratio to GET loop:        {rates['entitlements'][0] / get_rate:9.2f}   (target >= 10)"
    )
    seen_p50 = latencies[len(latencies) // 2] * 1e3
    seen_p99 = latencies[int(len(latencies) * 0.99)] * 1e3
    print(
        f"write in another process -> seen: p50 {seen_p50:6.2f} ms  p99 {seen_p99:6.2f} ms "
        f"over {len(latencies)} writes (target p99 < 100 ms)"
    )
    print(line("consume, no meter:", *rates["consume"]))
    print(f"  ratio to GET loop:        {rates['consume'][0] / get_rate:9.2f}")
    print(line("consume with a meter:", *rates["metered"]))
    print(f"  ratio to GET loop:        {rates['metered'][0] / get_rate:9.2f}")
    print(f"records cached: {cached}; entities with usage pending in the outbox: {pending}")


if __name__ == "__main__":
    main()
