"""The store interface the runtime needs, implemented by Redis and by an embedded SQLite file.

The store keeps five things (their keys are laid out in `keys.py`): entity -> Stripe customer,
the cached subscription of each entity, claims (locks and processed webhook events), usage
counters per billing period, and the live catalog cache. Every method raises
`StoreUnavailable` when the store cannot be reached, never a driver exception.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.errors import ReconcilerError

# A counter limit of None means "no cap" (the metadata value `unlimited`).
NO_LIMIT: None = None


@dataclass(frozen=True)
class EntityRecord:
    """What the store holds for one entity, read in one round trip."""

    customer_id: str | None
    subscription: Mapping[str, Any] | None
    # An opaque fingerprint of the stored values: `consume(expected_token=...)` refuses to
    # count when the record changed since it was read (see `StaleRecord`).
    token: str = field(default="", compare=False)


def record_token(customer: str | None, subscription_text: str | None) -> str:
    """The fingerprint of a record from its stored strings (the same in every store)."""
    return f"{customer or ''}\x00{subscription_text or ''}"


@dataclass(frozen=True)
class Taken:
    """A queue item one worker took: the item and its version when taken (an item queued
    again meanwhile has a newer version, so finishing the old one does not drop it)."""

    item: str
    version: str


@dataclass(frozen=True)
class UsageBatch:
    """Metered usage of one entity taken for sending as one meter event: `seq` numbers the
    entity's batches on that meter, and `nonce` is drawn when the batch is made, so (entity,
    meter, seq, nonce) names exactly one event even after the store was wiped and `seq`
    started again; a batch resent after a crash carries the same value, timestamp and name.
    Batches made before nonces existed have nonce "" (their names stay as they were)."""

    entity_id: str
    meter: str
    seq: int
    value: int
    timestamp: int
    nonce: str = ""


@dataclass(frozen=True)
class MeterUsage:
    """An entity's usage of one meter: all consumed, and sent to Stripe so far."""

    consumed: int
    flushed: int

    @property
    def unflushed(self) -> int:
        return self.consumed - self.flushed


def meter_totals(fields: Mapping[str, str]) -> dict[str, MeterUsage]:
    """`MeterUsage` per meter from an outbox's `consumed:<m>` and `flushed:<m>` fields."""
    meters = {f.split(":", 1)[1] for f in fields if f.startswith("consumed:")}
    return {
        m: MeterUsage(int(fields.get(f"consumed:{m}", 0)), int(fields.get(f"flushed:{m}", 0)))
        for m in sorted(meters)
    }


class StaleRecord(ReconcilerError):
    """The entity's record changed since the caller read it; carries the current one."""

    def __init__(self, record: EntityRecord) -> None:
        super().__init__("the entity's record changed since it was read")
        self.record = record


class Store(Protocol):
    """The runtime store. Implementations must be safe to share between threads, and the
    SQLite one between processes."""

    description: str
    """Where the store lives, with any password masked (safe for logs and errors)."""

    def ping(self) -> None:
        """Raise `StoreUnavailable` unless the store answers."""

    def get_customer(self, entity_id: str) -> str | None:
        """The entity's Stripe customer id, if one is mapped."""

    def set_customer(self, entity_id: str, customer_id: str) -> None:
        """Map entity -> customer and customer -> entity."""

    def entity_for_customer(self, customer_id: str) -> str | None:
        """The entity a Stripe customer belongs to, if this store mapped it."""

    def get_subscription(self, entity_id: str) -> dict[str, Any] | None:
        """The cached subscription dict, or None when nothing is cached."""

    def set_subscription(self, entity_id: str, subscription: Mapping[str, Any]) -> None:
        """Replace the cached subscription (a JSON-serializable dict)."""

    def get_record(self, entity_id: str) -> EntityRecord:
        """Customer id and cached subscription together, in one round trip."""

    def get_records(self, entity_ids: Sequence[str]) -> list[EntityRecord]:
        """`get_record` for many entities in one (pipelined) round trip, in order."""

    def claim(self, name: str, token: str, ttl_seconds: float) -> bool:
        """Take the claim `name` for `ttl_seconds` unless someone holds it; True when taken."""

    def release(self, name: str, token: str) -> bool:
        """Drop the claim if `token` still holds it; True when dropped."""

    def consume(
        self,
        entity_id: str,
        counter: str,
        period_start: int,
        amount: int,
        limit: int | None,
        ttl_seconds: int,
        expected_token: str | None = None,
        op_id: str | None = None,
        meter: str | None = None,
    ) -> int:
        """Atomically add `amount` to the period's counter unless that would pass `limit`
        (None: no cap); returns the new total or raises `LimitExceeded` leaving it unchanged.
        The counter expires `ttl_seconds` after its first use. With `expected_token` (an
        `EntityRecord.token`), the same atomic step first checks the entity's record is
        unchanged and raises `StaleRecord` with the current record otherwise, so a caller
        can count against a limit it resolved from a remembered record in one round trip.

        `op_id` (a fresh one when None) names the operation: the store remembers it for
        the counter's lifetime, and a call with an op id already applied changes nothing
        and returns the total that first application returned. `StoreUnavailable` means
        not applied; `OutcomeUnknown` (carrying the op id) that it may have been.

        With `meter` (a meter's event name), the same atomic step adds `amount` to the
        entity's meter outbox, for `take_usage_batches` to send."""

    def metered_entities(self) -> list[str]:
        """The entities whose meter outbox holds usage not yet sent."""

    def take_usage_batches(
        self, entity_id: str, owner: str, lease_seconds: float
    ) -> list[UsageBatch]:
        """Atomically, per meter of the entity: a batch left by a sender whose lease ran out
        (or by `owner`) is leased to `owner` again as it was; else the pending usage, if
        any, becomes a new batch leased to `owner`, with a fresh random nonce. A batch another
        sender holds is left."""

    def finish_usage_batch(self, batch: UsageBatch) -> None:
        """The batch was sent: drop it and count it as flushed (no-op if already done)."""

    def meter_usage(self, entity_id: str) -> dict[str, MeterUsage]:
        """Consumed and flushed totals of each meter the entity used."""

    def unsent_usage(self) -> int:
        """The usage recorded and not yet sent, over every entity and meter (the outboxes of
        `metered_entities`, read in few round trips)."""

    def usage(self, entity_id: str, counter: str, period_start: int) -> int:
        """The period's counter (0 when never used)."""

    def get_catalog(self) -> str | None:
        """The cached live catalog (opaque JSON text), if any."""

    def set_catalog(self, text: str) -> None:
        """Replace the cached live catalog."""

    def close(self) -> None:
        """Release connections."""

    def enqueue(self, queue: str, item: str, now: float) -> None:
        """Queue `item`, due at `now`. An item already queued stays one item (due at the
        earlier time), so several events of one customer cost one re-read. An item taken
        and still leased gets a new version but stays hidden, so no two workers do it at
        once; its taker's `finish` makes it due at once, so the event that came in
        meanwhile is seen (one more re-read, however many events came)."""

    def take(self, queue: str, now: float, lease_seconds: float) -> Taken | None:
        """The item due first (None when none is due), hidden from other takers for
        `lease_seconds`: a taker that dies leaves it due again after the lease."""

    def finish(self, queue: str, taken: Taken, retry_at: float | None = None) -> None:
        """Done with a taken item: dropped, or due again at `retry_at`; due at once when it
        was queued again since it was taken."""

    def queue_length(self, queue: str) -> int:
        """Items in the queue, due or leased."""

    def queue_first_due(self, queue: str) -> float | None:
        """When the item due first is due (None when the queue is empty): an item waiting
        since it was queued is due at that time, a leased one when its lease ends."""

    def acquire_rate(self, name: str, rate_per_second: float, burst: int) -> float:
        """Reserve the next send slot of the shared limiter `name` (GCRA: `rate_per_second`
        sustained, up to `burst` at once) and return the seconds to wait before using it
        (0.0: send now). Every caller sharing the store shares the limit; a reserved slot
        is never handed out twice."""


# Operation ids: a random prefix per process and a counter, unique without a system call per
# id (uuid4 costs as much as a tenth of a `consume` round trip). A forked child draws its own.
_op_prefix = uuid.uuid4().hex[:20]
_op_counter = itertools.count()


def _new_op_prefix() -> None:
    global _op_prefix, _op_counter
    _op_prefix, _op_counter = uuid.uuid4().hex[:20], itertools.count()


os.register_at_fork(after_in_child=_new_op_prefix)


def new_op_id() -> str:
    """A fresh operation id for `consume`, unique across processes."""
    return f"{_op_prefix}-{next(_op_counter)}"


def new_nonce() -> str:
    """A batch's nonce: random, so a batch made after the store was wiped (its `seq` counting
    from 1 again) never takes the name of one sent before."""
    return uuid.uuid4().hex[:16]


def check_amount(amount: int) -> None:
    """`consume` only counts up; refunds are not a counter operation."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ReconcilerError(f"consume amount must be a positive integer, got {amount!r}")


# Locks are short and a waiter outlasts them: a lock whose holder was killed frees itself
# before anyone waiting for it gives up. Outliving the TTL while holding it (a long Stripe
# call) is safe for the locks taken here: the writes they guard carry idempotency keys.
LOCK_TTL_SECONDS = 10.0
LOCK_WAIT_SECONDS = 12.0


@contextmanager
def held(
    store: Store,
    name: str,
    ttl_seconds: float = LOCK_TTL_SECONDS,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> Iterator[None]:
    """Hold the lock `name` (a claim with a random token) for the duration of the block.

    Waits up to `wait_seconds` for another holder; the TTL frees a lock whose holder died.
    """
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait_seconds
    while not store.claim(name, token, ttl_seconds):
        if time.monotonic() > deadline:
            raise ReconcilerError(f"timed out after {wait_seconds:g}s waiting for lock {name!r}")
        time.sleep(0.02)
    try:
        yield
    finally:
        store.release(name, token)
