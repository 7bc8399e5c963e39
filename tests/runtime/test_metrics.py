"""`reconciler serve`'s `GET /metrics` (Prometheus text format, read back with
prometheus_client's own parser) and `--log-format json`: scraped while 1,000 deliveries
arrive, its counters equal what was sent; the store's gauges with an injected clock; metered
usage pending and flushed; a store that is down."""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import stripe
from prometheus_client.parser import text_string_to_metric_families

from reconciler.cli.serve import flush_every
from reconciler.errors import StoreUnavailable
from reconciler.runtime.metrics import ServeMetrics
from reconciler.runtime.store import Store, open_store
from reconciler.runtime.sync_queue import QUEUE
from reconciler.runtime.wsgi import delivery_outcome
from reconciler.testing import EmulatorControl, free_port
from tests.runtime.conftest import PLANS_DIR, make_billing, plans_folder, push_plans
from tests.runtime.serving import start_serve
from tests.runtime.test_webhooks import event, signed

SECRET = "whsec_metrics"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of an exposition: (name, sorted labels) -> value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(port: int) -> tuple[int, str, Samples]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/metrics")
        answer = connection.getresponse()
        text = answer.read().decode()
        return answer.status, answer.getheader("Content-Type") or "", parse(text)
    finally:
        connection.close()


def deliver(port: int, payload: bytes, secret: str) -> int:
    headers = {"Content-Type": "application/json", "Stripe-Signature": signed(payload, secret)}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/stripe/webhook", body=payload, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def deliveries(samples: Samples) -> dict[str, float]:
    return {
        dict(labels)["outcome"]: value
        for (name, labels), value in samples.items()
        if name == "reconciler_webhook_deliveries_total" and value
    }


@pytest.fixture
def serving(
    emulator: EmulatorControl, redis_url: str, tmp_path: Path
) -> Iterator[tuple[int, subprocess.Popen[bytes], Path]]:
    redis.Redis.from_url(redis_url).flushdb()
    args = ["--plans", str(PLANS_DIR), "--stripe-rate", "500", "--log-format", "json"]
    log_path = tmp_path / "serve.log"
    port, process = start_serve(
        args,
        emulator_url=emulator.url,
        redis_url=redis_url,
        secret=SECRET,
        log=log_path,
        cwd=tmp_path,
    )
    try:
        yield port, process, log_path
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_metrics_answer_while_1000_deliveries_arrive_and_count_exactly_what_was_sent(
    serving: tuple[int, subprocess.Popen[bytes], Path], emulator: EmulatorControl
) -> None:
    port, process, log_path = serving
    emulator.reset_counters()
    # 900 new events of 90 customers (unknown to Stripe), 60 resent, 40 badly signed.
    new = [event(f"evt_m_{n}", "invoice.paid", {"customer": f"cus_m_{n % 90}"}) for n in range(900)]
    sent = [(p, SECRET) for p in new] + [(p, "whsec_wrong") for p in new[:40]]
    sent += [(p, SECRET) for p in new[100:160]]
    # Scrapes are jobs among the deliveries (one after every 50), so they run while the
    # other 49 senders deliver.
    jobs: list[tuple[bytes, str] | None] = []
    for n, delivery in enumerate(sent):
        jobs += [delivery] if n % 50 else [None, delivery]

    def run(job: tuple[bytes, str] | None) -> int | tuple[int, str, Samples]:
        return scrape(port) if job is None else deliver(port, *job)

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(run, jobs))
    statuses = [r for r in results if isinstance(r, int)]
    scrapes = [r for r in results if not isinstance(r, int)]
    assert Counter(statuses) == {200: 960, 400: 40}

    # Every scrape during the burst answered, and no counter ever ran ahead of what was sent.
    assert len(scrapes) == 20
    for status, content_type, samples in scrapes:
        assert (status, content_type) == (200, "text/plain; version=0.0.4; charset=utf-8")
        seen = deliveries(samples)
        assert seen.get("queued", 0) <= 900 and seen.get("rejected", 0) <= 40
    # Each delivery is counted before it is answered, so all are counted now.
    _, _, samples = scrape(port)
    assert deliveries(samples) == {"queued": 900, "duplicate": 60, "rejected": 40}
    assert samples[("reconciler_webhook_delivery_duration_seconds_count", ())] == 1000
    assert (
        samples[("reconciler_webhook_delivery_duration_seconds_bucket", (("le", "+Inf"),))] == 1000
    )

    # The queue drains (each unknown customer is read once and dropped); every Stripe call the
    # readers made is counted by its outcome.
    deadline = time.monotonic() + 60
    while samples.get(("reconciler_sync_queue_items", ()), 1) != 0:
        assert process.poll() is None and time.monotonic() < deadline, "the queue never drained"
        _, _, samples = scrape(port)
    assert samples[("reconciler_sync_queue_oldest_item_age_seconds", ())] == 0
    requests = emulator.counters()
    stripe_calls = {
        dict(labels)["outcome"]: value
        for (name, labels), value in samples.items()
        if name == "reconciler_stripe_requests_total" and value
    }
    # Each re-read lists the customer's subscriptions (200) and then reads the customer, whom
    # the emulator does not know (404: client_error); the catalog is read once (200).
    missing = requests["by_route"]["GET /v1/customers/:id"]
    assert missing >= 90
    assert stripe_calls == {"ok": requests["total"] - missing, "client_error": missing}
    assert samples[("reconciler_store_errors_total", (("source", "webhook"),))] == 0

    # --log-format json: every line of the log is one JSON object.
    process.terminate()
    process.wait(timeout=10)
    lines = log_path.read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert all(set(r) >= {"time", "level", "logger", "message"} for r in records)
    assert records[0]["message"].startswith("serving webhooks on http://127.0.0.1:")
    assert records[-1] == {**records[-1], "logger": "reconciler.serve", "message": "stopped"}


def test_queue_gauges_read_the_store_with_the_clock(any_store: Store) -> None:
    metrics = ServeMetrics(any_store, QUEUE, clock=lambda: 1_000_130.0)
    empty = parse(metrics.exposition().decode())
    assert empty[("reconciler_sync_queue_items", ())] == 0
    assert empty[("reconciler_sync_queue_oldest_item_age_seconds", ())] == 0
    any_store.enqueue(QUEUE, "customer:cus_1", 1_000_100.0)
    any_store.enqueue(QUEUE, "customer:cus_2", 1_000_120.0)
    any_store.enqueue(QUEUE, "customer:cus_1", 1_000_125.0)  # one item, due at the earlier time
    waiting = parse(metrics.exposition().decode())
    assert waiting[("reconciler_sync_queue_items", ())] == 2
    assert waiting[("reconciler_sync_queue_oldest_item_age_seconds", ())] == 30
    assert any_store.queue_first_due(QUEUE) == 1_000_100.0


def test_a_store_that_is_down_is_counted_and_its_gauges_left_out() -> None:
    down = open_store(f"redis://127.0.0.1:{free_port()}/0")
    try:
        metrics = ServeMetrics(down, QUEUE)
        samples = parse(metrics.exposition().decode())
    finally:
        down.close()
    assert samples[("reconciler_store_errors_total", (("source", "metrics"),))] == 1
    assert ("reconciler_sync_queue_items", ()) not in samples
    metrics.store_error("queue")(StoreUnavailable("down"))
    metrics.delivered("store_unavailable", 0.01)
    samples = parse(metrics.exposition().decode())
    assert samples[("reconciler_store_errors_total", (("source", "queue"),))] == 1
    assert samples[("reconciler_store_errors_total", (("source", "webhook"),))] == 1
    assert samples[("reconciler_store_errors_total", (("source", "metrics"),))] == 2


METERED = {
    "reconciler.yaml": "default_plan: free\n",
    "billing.yaml": "meters:\n  - {key: api_requests, event_name: api_requests, "
    "display_name: API requests, formula: sum}\n",
    "free.yaml": """product: {key: free, name: Free}
limits: {api-calls: {value: unlimited, meter: api_requests}}
prices:
  - {lookup_key: free_monthly, amount: 0, currency: usd, recurring: {interval: month}}
""",
}


def test_metered_usage_pending_then_flushed(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    redis_store: Store,
    tmp_path: Path,
) -> None:
    plans = plans_folder(tmp_path / "plans", METERED)
    push_plans(stripe_client, plans)
    stripe_client.v1.billing.meters.create(
        params={
            "display_name": "API",
            "event_name": "api_requests",
            "default_aggregation": {"formula": "sum"},
        }
    )
    billing = make_billing(emulator, plans, redis_store)
    for entity in ("org-1", "org-2"):
        billing.create_stripe_customer(entity)
    billing.consume("org-1", "api-calls", 5)
    billing.consume("org-2", "api-calls", 7)
    billing.consume("org-1", "api-calls", 1)
    metrics = ServeMetrics(redis_store, QUEUE)
    before = parse(metrics.exposition().decode())
    assert before[("reconciler_metered_usage_pending", ())] == 13
    assert before[("reconciler_metered_usage_flushed_total", ())] == 0

    # serve's flush loop: one pass, then stop.
    stop = threading.Event()

    def flushed(units: int) -> None:
        metrics.flushed(units)
        stop.set()

    loop = threading.Thread(target=flush_every, args=(billing, 0.01, stop, flushed))
    loop.start()
    loop.join(timeout=30)
    stop.set()
    after = parse(metrics.exposition().decode())
    assert after[("reconciler_metered_usage_pending", ())] == 0
    assert after[("reconciler_metered_usage_flushed_total", ())] == 13


def test_delivery_outcomes() -> None:
    assert delivery_outcome(200, {"action": "queued"}) == "queued"
    assert delivery_outcome(400, {"error": "bad signature"}) == "rejected"
    assert delivery_outcome(413, {}) == "too_large"
    assert delivery_outcome(503, {}) == "store_unavailable"
    assert delivery_outcome(500, {}) == "failed"
