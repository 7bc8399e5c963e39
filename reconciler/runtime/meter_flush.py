"""Sending metered usage to Stripe: the outbox the stores fill in `consume` becomes meter
events (orchestration over the store and the runtime's Stripe boundary).

Each pass takes, per entity and meter, everything consumed since the last pass as one batch
(so usage is aggregated per customer and meter over the flush interval), sends it as one meter
event named `rcn-<sha256(entity, meter, batch number, batch nonce)>`, and marks it flushed.
The nonce is drawn when the batch is made, so a store wiped and refilled (its batch numbers
starting again) never reuses the name of an event Stripe already holds, which Stripe would
refuse as a duplicate and so lose that usage. A sender killed
after taking a batch leaves it in the store with its value, timestamp and number: the next
pass (after the lease) resends the same event, which Stripe refuses as a duplicate if the
first send arrived, so usage is never lost and never billed twice (within Stripe's 24-hour
identifier window). One sender holds a batch at a time (the lease), which keeps Stripe's rule
of one concurrent call per customer and meter.

Rates (docs.stripe.com/billing/subscriptions/usage-based/recording-usage-api, "Rate limits"):
1,000 calls/s in live mode; in test mode meter events count toward the basic limit (25/s),
so the test-mode sender shares the account's limiter with every other bulk call.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.errors import ReconcilerError
from reconciler.model import Mode
from reconciler.ratelimit import SharedRateLimiter, default_rate, limiter_name
from reconciler.runtime.store.base import Store, UsageBatch
from reconciler.runtime.stripe_calls import RuntimeStripe

LIVE_METER_EVENTS_PER_SECOND = 1000.0
DEFAULT_LEASE_SECONDS = 30.0


def event_identifier(batch: UsageBatch) -> str:
    """The meter event's identifier: the same for every send of one batch, and new for a batch
    made after the store was wiped (its nonce)."""
    name = f"{batch.entity_id}\x00{batch.meter}\x00{batch.seq}"
    if batch.nonce:
        name += f"\x00{batch.nonce}"
    return "rcn-" + hashlib.sha256(name.encode()).hexdigest()[:40]


def meter_rate(mode: Mode) -> tuple[str, float]:
    """(shared limiter name, calls per second) for meter events with a key of this mode."""
    if mode == "live":
        return "stripe-meter-events:live", LIVE_METER_EVENTS_PER_SECOND
    return limiter_name(mode), default_rate(mode)


@dataclass
class FlushReport:
    """What one flush pass did."""

    events: int = 0  # meter events Stripe recorded now
    units: int = 0  # their total value
    duplicates: int = 0  # batches Stripe already held (a resend after a crash)
    no_customer: list[str] = field(default_factory=list)  # entities left in the outbox
    failed: dict[str, str] = field(default_factory=dict)  # entity -> error, left to retry

    def as_dict(self) -> dict[str, object]:
        return {
            "events": self.events,
            "units": self.units,
            "duplicates": self.duplicates,
            "no_customer": list(self.no_customer),
            "failed": dict(self.failed),
        }


def flush_usage(
    store: Store,
    stripe: RuntimeStripe,
    acquire: Callable[[], None],
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> FlushReport:
    """Send every entity's unflushed metered usage; `acquire` waits for a send slot."""
    owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    report = FlushReport()
    for entity_id in store.metered_entities():
        customer = store.get_customer(entity_id)
        if customer is None:
            report.no_customer.append(entity_id)
            continue
        try:
            for batch in store.take_usage_batches(entity_id, owner, lease_seconds):
                acquire()
                identifier = event_identifier(batch)
                if stripe.send_meter_event(
                    batch.meter, customer, batch.value, identifier, batch.timestamp
                ):
                    report.events += 1
                    report.units += batch.value
                else:
                    report.duplicates += 1
                store.finish_usage_batch(batch)
        except ReconcilerError as exc:
            report.failed[entity_id] = str(exc)
    return report


def shared_acquire(store: Store, mode: Mode, rate: float | None = None) -> Callable[[], None]:
    """A send-slot waiter on the limiter every process sharing the store uses."""
    name, default = meter_rate(mode)
    return SharedRateLimiter(store, name, rate or default).acquire
