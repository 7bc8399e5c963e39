"""Stripe's Idempotency-Key semantics for POST requests.

The first response for a key is kept with the parameters that produced it; a
retry with the same parameters replays it, different parameters are an
`idempotency_error`, and a retry while the first is still running gets 409.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

# Stripe prunes keys after 24 hours; emulator time, so advancing the clock expires them.
KEY_LIFETIME = 24 * 60 * 60


@dataclass(frozen=True)
class StoredResponse:
    """The first answer given for one key, and what it was an answer to."""

    fingerprint: tuple[str, str, str]
    status: int
    body: bytes
    created: int


@dataclass(frozen=True)
class InFlight:
    fingerprint: tuple[str, str, str]
    created: int


class IdempotencyStore:
    """Keys -> stored responses, with a marker while the first request runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, StoredResponse | InFlight] = {}

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def begin(
        self, key: str, fingerprint: tuple[str, str, str], now: int
    ) -> StoredResponse | InFlight | None:
        """Claim `key`; None means the caller runs the request and must finish or abandon it.

        Otherwise the existing entry is returned: a stored response or a request in flight.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry.created >= KEY_LIFETIME:
                entry = None
            if entry is not None:
                return entry
            self._entries[key] = InFlight(fingerprint, now)
            return None

    def finish(self, key: str, response: StoredResponse) -> None:
        with self._lock:
            self._entries[key] = response

    def abandon(self, key: str) -> None:
        """Forget a claim whose response Stripe would not save (validation errors, faults)."""
        with self._lock:
            entry = self._entries.get(key)
            if isinstance(entry, InFlight):
                del self._entries[key]
