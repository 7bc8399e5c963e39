"""How close `reconciler backfill customers` and `reconciler sync --all` run to Stripe's rate
limits, measured on the emulator set to refuse past 100 requests/s for the account and 25/s
per endpoint (docs: rate-limits), with 50 ms latency.

Run: .venv/bin/python benchmarks/backfill_speed.py [--entities 10000] [--existing 2000]
     [--hand-made 1000] [--limit 100] [--endpoint-limit 25] [--latency-ms 50]
     [--concurrency 16] [--emulator-gc]

Steps (the emulator and a private redis-server run in their own processes):
  1. seed --existing customers that already carry `metadata.entityId` for some of the
     entities, and --hand-made customers the application made for the next ones (their
     `metadata.user_id` is the entity id, no `entityId`), without the limiter and faults;
  2. with faults(rate_limit=LIMIT, endpoint_rate_limit=ENDPOINT, latency_ms=LATENCY), run
     `reconciler backfill customers --match-metadata user_id` over --entities ids as a user
     would (a subprocess, `--rate LIMIT --endpoint-rate ENDPOINT`);
  3. seed one subscription per customer (no limiter, no faults), then with the same faults run
     `reconciler sync --all --rate LIMIT --endpoint-rate ENDPOINT`.

Figures printed, each checked (exit 1 when one fails):
  * backfill: achieved requests/s and its ratio to the pace (the baseline: the lower of the two
    limits, since nearly every request goes to POST /v1/customers) must be >= 0.90; requests
    refused for rate must be 0; requests must be at most created + adopted
    + ceil((existing + hand-made) / 100) + 2, and every hand-made customer adopted;
  * sync --all: list requests must be at most 110 for 10,000 subscriptions, and every
    mapped customer refreshed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import stripe

from reconciler.testing import EmulatorControl, redis_server

KEY = "sk_test_benchmark"
ROOT = Path(__file__).resolve().parents[1]


# The emulator stamps a request's arrival when a handler thread reads it. With 10,000+
# objects in memory, a full collection of Python's cyclic GC stops its process for ~70 ms;
# requests that arrived evenly during the pause are then stamped as one burst, and the
# emulator refuses some of them although the client never sent faster than the limit.
# Stripe's edge has no such pause, so by default the emulator runs with that GC disabled
# (its state is plain acyclic dicts); --emulator-gc keeps it on to see the effect.
NO_GC = "import gc, sys; gc.disable(); from reconciler.cli import main; main(sys.argv[1:])"


@contextmanager
def emulator_process(gc_enabled: bool) -> Iterator[str]:
    """`reconciler emulator --port 0` in its own process; yields its base URL."""
    launcher = ["-m", "reconciler"] if gc_enabled else ["-c", NO_GC]
    command = [sys.executable, *launcher, "emulator", "--port", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stderr is not None
    found = re.search(r"STRIPE_API_BASE=(\S+)", process.stderr.readline())
    assert found, "the emulator did not announce its URL"
    try:
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


def sdk(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        KEY,
        base_addresses={"api": url, "files": url, "connect": url, "meter_events": url},
        max_network_retries=0,
    )


def in_parallel(count: int, action: Callable[[int], Any], threads: int = 16) -> list[Any]:
    """Seeding only: as fast as the emulator answers, no limiter."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(action, range(count)))


def run(env: dict[str, str], *args: str) -> dict[str, Any]:
    """A reconciler command as a user runs it; its JSON summary."""
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args, "--format", "json"],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-2000:])
        raise SystemExit(f"reconciler {' '.join(args)} exited {done.returncode}")
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def check(failures: list[str], ok: bool, message: str) -> None:
    print(f"  [{'ok' if ok else 'FAIL'}] {message}")
    if not ok:
        failures.append(message)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--existing", type=int, default=2_000)
    parser.add_argument("--hand-made", type=int, default=1_000)
    parser.add_argument("--limit", type=float, default=100.0)
    parser.add_argument("--endpoint-limit", type=float, default=25.0)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--emulator-gc", action="store_true", help="keep the emulator's cyclic GC on"
    )
    options = parser.parse_args()
    failures: list[str] = []
    ids = [f"user-{i:06d}" for i in range(options.entities)]
    pace = min(options.limit, options.endpoint_limit)
    faults = {
        "rate_limit": options.limit,
        "endpoint_rate_limit": options.endpoint_limit,
        "latency_ms": options.latency_ms,
    }

    with emulator_process(options.emulator_gc) as url, redis_server() as redis_url:
        control = EmulatorControl(url)
        client = sdk(url)
        env = {"STRIPE_API_KEY": KEY, "STRIPE_API_BASE": url, "REDIS_URL": redis_url}
        started = time.monotonic()
        in_parallel(
            options.existing,
            lambda i: client.v1.customers.create(params={"metadata": {"entityId": ids[i]}}),
        )
        hand_made = ids[options.existing : options.existing + options.hand_made]
        in_parallel(
            len(hand_made),
            lambda i: client.v1.customers.create(params={"metadata": {"user_id": hand_made[i]}}),
        )
        print(
            f"seeded {options.existing} existing and {len(hand_made)} hand-made customers in "
            f"{time.monotonic() - started:.1f}s"
        )

        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "ids.txt"
            source.write_text("\n".join(ids) + "\n")
            control.faults(**faults)
            control.reset_counters()
            rate, concurrency = f"{options.limit:g}", str(options.concurrency)
            report = run(
                env,
                "backfill",
                "customers",
                "--input",
                str(source),
                "--rate",
                rate,
                "--endpoint-rate",
                f"{options.endpoint_limit:g}",
                "--concurrency",
                concurrency,
                "--match-metadata",
                "user_id",
            )
        counters = control.counters()
        counts = report["counts"]
        achieved = report["requests_per_second"]
        pages = math.ceil((options.existing + len(hand_made)) / 100)
        bound = counts["created"] + counts["adopted"] + pages + 2
        print(
            f"backfill customers: {options.entities} entities, {counts}, "
            f"{report['requests']} requests in {report['elapsed_seconds']:.1f}s"
        )
        print(
            f"  achieved {achieved:.1f} requests/s against limits of {options.limit:g}/s "
            f"(account) and {options.endpoint_limit:g}/s (endpoint):"
        )
        print(f"  ratio {achieved / pace:.3f} (baseline: the pace, {pace:g}/s)")
        check(failures, achieved >= 0.9 * pace, "achieved rate >= 90% of the pace")
        check(
            failures,
            counters["rate_limited"] == 0,
            f"refused for rate: {counters['rate_limited']} (must be 0)",
        )
        check(
            failures,
            counters["total"] <= bound,
            f"requests {counters['total']} <= created + adopted + ceil((existing + hand-made)"
            f"/100) + 2 = {bound}",
        )
        check(
            failures,
            (counts["matched"], counts["adopted"]) == (options.existing, len(hand_made)),
            f"matched {counts['matched']} of {options.existing}, adopted {counts['adopted']} "
            f"of {len(hand_made)} hand-made",
        )
        check(
            failures,
            counts["created"] + counts["matched"] + counts["adopted"] == options.entities
            and counts["failed"] == 0,
            "every entity created, matched or adopted, none failed",
        )
        print(f"  emulator: max {counters['max_in_any_second']} requests in any second")

        control.clear_faults()
        started = time.monotonic()
        price = client.v1.prices.create(
            params={
                "product_data": {"name": "Benchmark"},
                "currency": "usd",
                "unit_amount": 1000,
                "recurring": {"interval": "month"},
            }
        )
        customers: list[str] = []
        page: Any = {"limit": 100}
        while True:
            listed = client.v1.customers.list(params=page)
            customers += [c.id for c in listed.data]
            if not listed.has_more:
                break
            page = {"limit": 100, "starting_after": customers[-1]}
        in_parallel(
            len(customers),
            lambda i: client.v1.subscriptions.create(
                params={
                    "customer": customers[i],
                    "items": [{"price": price.id}],
                    "trial_period_days": 14,
                }
            ),
        )
        print(f"seeded {len(customers)} subscriptions in {time.monotonic() - started:.1f}s")

        control.faults(**faults)
        control.reset_counters()
        summary = run(
            env,
            "sync",
            "--all",
            "--rate",
            f"{options.limit:g}",
            "--endpoint-rate",
            f"{options.endpoint_limit:g}",
        )
        lists = control.counters()["by_route"].get("GET /v1/subscriptions", 0)
        print(
            f"sync --all: {summary['counts']}, {summary['requests']} requests in "
            f"{summary['elapsed_seconds']:.1f}s"
        )
        allowed = 110 * len(customers) / 10_000
        check(
            failures,
            lists <= allowed,
            f"list requests {lists} <= {allowed:g} for {len(customers)} subscriptions",
        )
        check(
            failures,
            summary["counts"]["updated"] == options.entities,
            "every mapped customer refreshed",
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
