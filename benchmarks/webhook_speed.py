"""`reconciler serve` under a burst: deliveries/s and answer times at 200 concurrent senders,
and how fast the re-read queue drains against the configured Stripe rate.

Run: .venv/bin/python benchmarks/webhook_speed.py [--deliveries 4000] [--senders 200]
     [--customers 1500] [--stripe-rate 100]

Starts a private redis-server, the emulator (in this process) and `reconciler serve` (its own
process, as a user runs it), then:
  1. the baseline: `GET /healthz` from 200 senders, each on a new connection (the server's
     cost of an HTTP exchange with no work behind it);
  2. signed `invoice.paid` deliveries from 200 senders, each on a new connection, spread over
     --customers customers the store knows: deliveries/s, p50 and p99 answer time, and the
     ratio to the baseline; every answer must be 200;
  3. the queue those deliveries left: re-reads per second until it is empty, and the ratio to
     --stripe-rate (the limiter aims at 95 % of it, so ~0.95 is the target; above 1.0 would
     break Stripe's limit).
Exits 1 when a delivery is not answered 200 or the drain passes the configured rate.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import stripe

from reconciler.emulator import run_in_thread
from reconciler.emulator.webhooks import sign
from reconciler.runtime.store import open_store
from reconciler.runtime.sync_queue import QUEUE
from reconciler.testing import EmulatorControl, free_port, redis_server

KEY = "sk_test_webhook_benchmark"
SECRET = "whsec_webhook_benchmark"
PLANS = Path(__file__).resolve().parents[1] / "plans"


def event(event_id: str, customer: str) -> bytes:
    obj = {"id": event_id, "object": "event", "type": "invoice.paid"}
    return json.dumps({**obj, "data": {"object": {"customer": customer}}}).encode()


def burst(
    senders: int, total: int, request: Callable[[int], http.client.HTTPConnection]
) -> tuple[float, list[float], list[int]]:
    """`total` exchanges from `senders` threads: (wall seconds, latencies, statuses)."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    counter = iter(range(total))
    start = threading.Barrier(senders + 1)

    def sender() -> None:
        start.wait()
        own_latencies, own_statuses = [], []
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            t0 = time.perf_counter()
            try:
                connection = request(n)
                status = connection.getresponse().status
                connection.close()
            except OSError:
                status = 0
            own_latencies.append(time.perf_counter() - t0)
            own_statuses.append(status)
        with lock:
            latencies.extend(own_latencies)
            statuses.extend(own_statuses)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    start.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - t0, latencies, statuses


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=4000)
    parser.add_argument("--senders", type=int, default=200)
    parser.add_argument("--customers", type=int, default=1500)
    parser.add_argument("--stripe-rate", type=float, default=100.0)
    args = parser.parse_args()
    with redis_server() as redis_url, run_in_thread() as running:
        emulator = EmulatorControl(running.url)
        client = stripe.StripeClient(KEY, base_addresses={"api": running.url})
        store = open_store(redis_url)
        customers = []
        for n in range(args.customers):
            customer = client.v1.customers.create(params={"metadata": {"entityId": f"e{n}"}}).id
            store.set_customer(f"e{n}", customer)
            customers.append(customer)
        port = free_port()
        environ = {**os.environ, "STRIPE_API_KEY": KEY, "STRIPE_API_BASE": running.url,
                   "STRIPE_WEBHOOK_SECRET": SECRET, "REDIS_URL": redis_url}  # fmt: skip
        serve = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "serve", "--port", str(port), "--plans",
             str(PLANS), "--stripe-rate", str(args.stripe_rate), "--readers", "8"],
            env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or serve.poll() is not None:
                        print("reconciler serve did not start", file=sys.stderr)
                        return 1
                    time.sleep(0.1)

            def health(n: int) -> http.client.HTTPConnection:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request("GET", "/healthz")
                return connection

            payloads = [
                event(f"evt_{n}", customers[n % len(customers)]) for n in range(args.deliveries)
            ]

            def deliver(n: int) -> http.client.HTTPConnection:
                headers = {"Stripe-Signature": sign(payloads[n], SECRET, int(time.time()))}
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request("POST", "/stripe/webhook", body=payloads[n], headers=headers)
                return connection

            base_wall, base_lat, base_status = burst(args.senders, args.deliveries, health)
            reads_before = emulator.counters()["by_route"].get("GET /v1/subscriptions", 0)
            wall, latencies, statuses = burst(args.senders, args.deliveries, deliver)
            # The queue: what the burst left, drained at the configured rate.
            t0, left = time.perf_counter(), store.queue_length(QUEUE)
            reads_at_t0 = emulator.counters()["by_route"].get("GET /v1/subscriptions", 0)
            while store.queue_length(QUEUE):
                time.sleep(0.05)
            drain_wall = time.perf_counter() - t0
            reads = emulator.counters()["by_route"].get("GET /v1/subscriptions", 0)
        finally:
            serve.terminate()
            serve.wait(timeout=10)
            store.close()
    base_rate = args.deliveries / base_wall
    rate = args.deliveries / wall
    drained = reads - reads_at_t0
    drain_rate = drained / drain_wall if drain_wall > 0 else 0.0

    def line(label: str, per_second: float, lat: list[float]) -> str:
        p50, p99 = percentile(lat, 0.5), percentile(lat, 0.99)
        return f"{label:<30} {per_second:8.0f} /s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"

    print(line(f"healthz, {args.senders} senders:", base_rate, base_lat))
    print(line(f"deliveries, {args.senders} senders:", rate, latencies))
    print(f"  ratio to healthz:            {rate / base_rate:8.2f}")
    answered = sum(1 for s in statuses if s == 200)
    print(f"  answered 200:                {answered:8d} of {len(statuses)}")
    print(f"  customers re-read (total):   {reads - reads_before:8d} for {args.deliveries} "
          f"deliveries over {args.customers} customers")  # fmt: skip
    print(f"queue after the burst:         {left:8d} item(s)")
    print(f"drain:                         {drain_rate:8.1f} re-reads/s against "
          f"--stripe-rate {args.stripe_rate:g}/s: ratio {drain_rate / args.stripe_rate:.2f} "
          "(target 0.95, never above 1)")  # fmt: skip
    ok = answered == len(statuses) and all(s == 200 for s in base_status)
    ok = ok and drain_rate <= args.stripe_rate
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
