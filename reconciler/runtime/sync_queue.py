"""The re-read queue behind `reconciler serve`: webhooks are answered from the recorded event,
and the re-reads of Stripe they call for are done here, paced by the shared rate limiter.

A verified event is recorded (its id claimed, as for inline processing) and its work queued
in the store: `customer:<id>` for a customer's subscriptions, `catalog` for a catalog refresh.
Several events of one customer waiting in the queue are one item, so a burst of renewals for
one customer costs one re-read. The queue lives in the store, so it survives a restart; an
item a worker took and never finished (the worker was killed) is due again after its lease.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.errors import ReconcilerError, StoreUnavailable, StripeCallError
from reconciler.ratelimit import RateLimiter
from reconciler.runtime.store.base import Store, Taken
from reconciler.runtime.webhooks import (
    CATALOG_PREFIXES,
    MISSING,
    SYNC_EVENTS,
    Action,
    WebhookResult,
    customer_of,
    record_once,
)

QUEUE = "stripe-reads"
CATALOG_ITEM = "catalog"
CUSTOMER_PREFIX = "customer:"
# A worker that dies holding an item frees it after this long.
LEASE_SECONDS = 60.0
# A re-read Stripe refused for a passing reason (429, 5xx, network) is tried again after this.
RETRY_SECONDS = 5.0

log = logging.getLogger("reconciler.sync_queue")


def work_item(event: Mapping[str, Any]) -> str | None:
    """The queue item an event calls for, or None when it needs no Stripe re-read."""
    kind = str(event["type"])
    if kind in SYNC_EVENTS:
        customer = customer_of(event)
        return None if customer is None else CUSTOMER_PREFIX + customer
    if kind.startswith(CATALOG_PREFIXES):
        return CATALOG_ITEM
    return None


def enqueue_event(
    event: Mapping[str, Any], store: Store, clock: Callable[[], float] = time.time
) -> WebhookResult:
    """Record a verified event once and queue the re-read it calls for (no Stripe call)."""
    event_id, kind = str(event["id"]), str(event["type"])
    item = work_item(event)
    if item is None:
        action: Action = "no_customer" if kind in SYNC_EVENTS else "ignored"
        return WebhookResult(event_id, kind, action)
    customer = item.removeprefix(CUSTOMER_PREFIX) if item != CATALOG_ITEM else None
    recorded = record_once(event_id, store, lambda: store.enqueue(QUEUE, item, clock()))
    if not recorded:
        return WebhookResult(event_id, kind, "duplicate", customer)
    return WebhookResult(event_id, kind, "queued", customer)


class SyncQueue:
    """Drains the queue: one re-read per item, each after a slot of the shared limiter."""

    def __init__(
        self,
        store: Store,
        sync_customer: Callable[[str], object],
        refresh_catalog: Callable[[], object],
        limiter: RateLimiter,
        lease_seconds: float = LEASE_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self._sync = sync_customer
        self._refresh = refresh_catalog
        self.limiter = limiter
        self.lease_seconds = lease_seconds
        self.retry_seconds = retry_seconds
        self._clock = clock
        # Told each store outage the queue rides out (`reconciler serve`'s metrics count them).
        self.on_store_error: Callable[[StoreUnavailable], object] = lambda exc: None

    def work_once(self) -> bool:
        """Take one due item and do it; False when nothing is due."""
        taken = self.store.take(QUEUE, self._clock(), self.lease_seconds)
        if taken is None:
            return False
        self.limiter.acquire()
        retry_at = self._run(taken)
        self.store.finish(QUEUE, taken, retry_at)
        return True

    def _run(self, taken: Taken) -> float | None:
        """Do one item; None when done (or never doable), else when to try again. A store
        outage propagates: the item is due again after its lease."""
        try:
            if taken.item == CATALOG_ITEM:
                self._refresh()
            else:
                self._sync(taken.item.removeprefix(CUSTOMER_PREFIX))
        except StoreUnavailable:
            raise
        except StripeCallError as exc:
            if exc.code == MISSING:
                log.warning("ignored %s: %s", taken.item, exc)
                return None
            return self._retry(taken, exc)
        except ReconcilerError as exc:
            return self._retry(taken, exc)
        log.info("re-read %s", taken.item)
        return None

    def _retry(self, taken: Taken, exc: Exception) -> float:
        log.warning("re-read of %s failed, again in %gs: %s", taken.item, self.retry_seconds, exc)
        return self._clock() + self.retry_seconds

    def run(self, stop: threading.Event, idle_seconds: float = 0.2) -> None:
        """Drain until `stop` is set; waits `idle_seconds` when nothing is due, and rides out
        a store outage (an item taken before it is due again after its lease)."""
        while not stop.is_set():
            try:
                busy = self.work_once()
            except StoreUnavailable as exc:
                log.error("queue paused: %s", exc)
                self.on_store_error(exc)
                busy = False
            except Exception:
                # A reader that died would stop re-reads without a word: log, keep going.
                log.exception("queue worker error")
                busy = False
            if not busy:
                stop.wait(idle_seconds)
