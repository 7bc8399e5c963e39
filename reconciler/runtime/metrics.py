"""Prometheus metrics of `reconciler serve`, answered at `GET /metrics` in the text format.

Counters and the latency histogram are fed by callbacks the serving parts are handed (the WSGI
app's `on_delivery`, `observe_stripe_calls`, the queue's `on_store_error`, each flush pass's
report); the queue and the metered usage waiting in the store are read from the store on each
scrape, so they hold for every process sharing it. Names follow Prometheus' conventions
(prometheus.io/docs/practices/naming): the `reconciler_` prefix, base units (`_seconds`),
`_total` on counters, one label for what a total is split by.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    make_wsgi_app,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reconciler.errors import StoreUnavailable
from reconciler.runtime.store.base import Store
from reconciler.runtime.wsgi import App, Environ, StartResponse

METRICS_PATH = "/metrics"
# Delivery latency buckets: an answered-from-the-record delivery takes milliseconds; Stripe
# gives up on an endpoint after about 10 s (docs.stripe.com/webhooks, "Respond quickly").
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

DELIVERY_OUTCOMES = (
    "queued", "duplicate", "ignored", "no_customer", "rejected", "too_large",
    "store_unavailable", "failed",
)  # fmt: skip
STRIPE_OUTCOMES = ("ok", "rate_limited", "client_error", "server_error", "connection_error")
STORE_ERROR_SOURCES = ("webhook", "queue", "usage_flush", "metrics")

log = logging.getLogger("reconciler.metrics")


class StoreGauges(Collector):
    """Gauges read from the store at each scrape: the re-read queue and unsent metered usage.
    A store that cannot answer is counted as a store error and its gauges are left out of
    that scrape (an absent series, not a false zero)."""

    def __init__(
        self,
        store: Store,
        queue: str,
        on_store_error: Callable[[StoreUnavailable], object],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.queue = queue
        self.on_store_error = on_store_error
        self.clock = clock

    def describe(self) -> Iterable[Metric]:
        return []  # read at scrape time only: nothing to describe at registration

    def collect(self) -> Iterator[Metric]:
        try:
            length = self.store.queue_length(self.queue)
            first_due = self.store.queue_first_due(self.queue)
            pending = self.store.unsent_usage()
        except StoreUnavailable as exc:
            log.warning("metrics: the store did not answer: %s", exc)
            self.on_store_error(exc)
            return
        yield GaugeMetricFamily(
            "reconciler_sync_queue_items",
            "Stripe re-reads waiting in the queue (due or being done).",
            value=length,
        )
        age = 0.0 if first_due is None else max(0.0, self.clock() - first_due)
        yield GaugeMetricFamily(
            "reconciler_sync_queue_oldest_item_age_seconds",
            "How long the item due first has been due (0 when none is).",
            value=age,
        )
        yield GaugeMetricFamily(
            "reconciler_metered_usage_pending",
            "Units consumed on metered limits and not yet sent to Stripe as meter events.",
            value=pending,
        )


class ServeMetrics:
    """The metrics of one `reconciler serve` process, in a registry of its own."""

    def __init__(self, store: Store, queue: str, clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "reconciler_webhook_deliveries",
            "Webhook deliveries answered, by outcome: " + ", ".join(DELIVERY_OUTCOMES) + ".",
            ["outcome"],
            registry=None,
        )
        self.delivery_seconds = Histogram(
            "reconciler_webhook_delivery_duration_seconds",
            "Seconds from a delivery's body being read to its answer.",
            buckets=LATENCY_BUCKETS,
            registry=None,
        )
        self.stripe_requests = Counter(
            "reconciler_stripe_requests",
            "Stripe API calls, by outcome: " + ", ".join(STRIPE_OUTCOMES) + ".",
            ["outcome"],
            registry=None,
        )
        self.usage_flushed = Counter(
            "reconciler_metered_usage_flushed",
            "Units of metered usage Stripe recorded as meter events.",
            registry=None,
        )
        self.store_errors = Counter(
            "reconciler_store_errors",
            "Times the store could not be reached, by what needed it: "
            + ", ".join(STORE_ERROR_SOURCES)
            + ".",
            ["source"],
            registry=None,
        )
        # Every series from the start at 0, so a rate over the first failure is not missed.
        for outcome in DELIVERY_OUTCOMES:
            self.deliveries.labels(outcome)
        for outcome in STRIPE_OUTCOMES:
            self.stripe_requests.labels(outcome)
        for source in STORE_ERROR_SOURCES:
            self.store_errors.labels(source)
        # The store's gauges first: a store error met reading them shows in the same scrape.
        self.registry.register(StoreGauges(store, queue, self.store_error("metrics"), clock))
        for metric in (
            self.deliveries,
            self.delivery_seconds,
            self.stripe_requests,
            self.usage_flushed,
            self.store_errors,
        ):
            self.registry.register(metric)

    def delivered(self, outcome: str, seconds: float) -> None:
        """One delivery answered (the WSGI app's `on_delivery`)."""
        self.deliveries.labels(outcome).inc()
        self.delivery_seconds.observe(seconds)
        if outcome == "store_unavailable":
            self.store_errors.labels("webhook").inc()

    def stripe_call(self, outcome: str) -> None:
        """One Stripe call ended (`observe_stripe_calls`)."""
        self.stripe_requests.labels(outcome).inc()

    def flushed(self, units: int) -> None:
        """A flush pass had Stripe record `units` of metered usage."""
        self.usage_flushed.inc(units)

    def store_error(self, source: str) -> Callable[[StoreUnavailable], None]:
        """The callback that counts a store outage seen by `source`."""
        counter = self.store_errors.labels(source)
        return lambda exc: counter.inc()

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)

    def serving(self, app: App) -> App:
        """`app` with `GET /metrics` answered in front of it, by prometheus_client's own WSGI
        app (it picks the text or OpenMetrics format from the scraper's Accept header)."""
        metrics_app = make_wsgi_app(self.registry)

        def with_metrics(environ: Environ, start: StartResponse) -> Iterable[bytes]:
            if environ.get("PATH_INFO", "") == METRICS_PATH:
                answer: Iterable[bytes] = metrics_app(environ, start)
                return answer
            return app(environ, start)

        return with_metrics
