"""Background delivery of events to webhook endpoints, signed like Stripe.

Delivery is at-least-once: a non-2xx answer or a connection error schedules a
retry with growing pauses, a few times. The fault knobs can drop, duplicate or
shuffle deliveries so consumers can prove they cope.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.emulator.faults import Faults

# Pauses before each retry, in seconds; the attempt after the last one is final.
RETRY_PAUSES = (0.2, 0.5, 1.0, 2.0, 4.0)
SEND_TIMEOUT = 5.0
FLUSH_TIMEOUT = 10.0


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header value for `payload`."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Delivery:
    """One event on its way to one endpoint."""

    sequence: int
    url: str
    secret: str
    payload: bytes
    generation: int
    attempts: int = 0
    due: float = 0.0


class WebhookDispatcher:
    """A queue of deliveries and the daemon thread that works through it."""

    def __init__(self, faults: Faults) -> None:
        self._faults = faults
        self._changed = threading.Condition()
        self._queue: list[Delivery] = []
        self._in_flight = 0
        self._sequence = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopping = False
        # Bumped by `clear`, so deliveries in flight during a reset are not retried.
        self._generation = 0
        # Its own draws: the dispatcher thread never moves the process's global `random`
        # under a caller that seeded it (hypothesis checks that it stays put).
        self._draws = random.Random()

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=SEND_TIMEOUT + 1)

    def clear(self) -> None:
        with self._changed:
            self._queue.clear()
            self._generation += 1
            self._changed.notify_all()

    def enqueue(self, url: str, secret: str, payload: bytes) -> None:
        copies = 2 if self._faults.webhook_duplicate else 1
        with self._changed:
            for _ in range(copies):
                self._queue.append(
                    Delivery(next(self._sequence), url, secret, payload, self._generation)
                )
            self._changed.notify_all()

    def flush(self, timeout: float = FLUSH_TIMEOUT) -> int:
        """Wait until every queued delivery was tried once; return those awaiting a retry."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._in_flight or any(item.attempts == 0 for item in self._queue):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            return len(self._queue)

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            for delivery in batch:
                delivered = self._attempt(delivery)
                self._settle(delivery, delivered)

    def _next_batch(self) -> list[Delivery] | None:
        with self._changed:
            while not self._stopping:
                now = time.monotonic()
                due = [item for item in self._queue if item.due <= now]
                if due:
                    if self._faults.webhook_shuffle:
                        self._draws.shuffle(due)
                    for item in due:
                        self._queue.remove(item)
                    self._in_flight += len(due)
                    return due
                upcoming = min((item.due for item in self._queue), default=now + 1.0)
                self._changed.wait(max(upcoming - now, 0.005))
            return None

    def _attempt(self, delivery: Delivery) -> bool:
        delivery.attempts += 1
        if delivery.attempts == 1 and self._draws.random() < self._faults.webhook_drop_rate:
            # A dropped delivery is lost for good, like a webhook that never arrives.
            return True
        request = urllib.request.Request(
            delivery.url,
            data=delivery.payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(delivery.payload, delivery.secret, int(time.time())),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as response:
                return 200 <= int(response.status) < 300
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def _settle(self, delivery: Delivery, delivered: bool) -> None:
        with self._changed:
            self._in_flight -= 1
            retries_used = delivery.attempts - 1
            current = delivery.generation == self._generation and not self._stopping
            if not delivered and retries_used < len(RETRY_PAUSES) and current:
                delivery.due = time.monotonic() + RETRY_PAUSES[retries_used]
                self._queue.append(delivery)
            self._changed.notify_all()
