"""The in-process cache of entity records, shared by the threads of one process (no I/O).

A store keeps the records it read here and drops them when told they changed: the Redis store
through server-assisted invalidation (`redis_tracking.py`), the SQLite store through a version
row bumped by every record write. A hit is one dict lookup, with no lock.

The race every such cache must close: a record is read, another process writes it, and the
invalidation arrives before the reader stores what it read; storing it then would keep a stale
copy forever. So a reader takes a ticket (`begin`) before reading, and `put` stores only when
no invalidation of that key, and no flush, happened since the ticket was taken.

Memory is bounded by `max_entries`: when full, the oldest stored record is evicted first.

A child made by `fork()` starts with this cache empty and off, and a lock of its own (the
parent's could be held by a thread the child does not have): what the parent cached was
kept true by the parent's invalidations, which the child does not receive.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Generic, TypeVar

from reconciler.runtime.store.after_fork import renew_after_fork

V = TypeVar("V")

DEFAULT_MAX_ENTRIES = 100_000


class RecordCache(Generic[V]):
    """Values by key, dropped on invalidation; `enabled` is False while invalidations cannot
    be trusted (then nothing is served or stored)."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self.enabled = False
        self._values: dict[str, V] = {}
        self._lock = threading.Lock()
        self._seq = 0  # counts invalidations and flushes
        self._flushed_at = 0
        self._reading: dict[str, int] = {}  # key -> readers holding a ticket
        self._touched: dict[str, int] = {}  # key -> seq of its last invalidation while read
        renew_after_fork(self)

    def after_fork_in_child(self) -> None:
        """In a forked child: nothing cached, nothing enabled, no reads under way (their
        threads stayed in the parent); the store turns the cache on when it can keep it
        true in this process."""
        self._lock = threading.Lock()
        self.enabled = False
        self._values = {}
        self._reading = {}
        self._touched = {}
        self._seq += 1
        self._flushed_at = self._seq

    def get(self, key: str) -> V | None:
        """The cached value, or None (the hot path: one dict lookup)."""
        return self._values.get(key)

    def begin(self, key: str) -> int:
        """A ticket for reading `key` from the store; pass it to `put` (or `abandon`)."""
        with self._lock:
            self._reading[key] = self._reading.get(key, 0) + 1
            return self._seq

    def put(self, key: str, value: V, ticket: int) -> None:
        """Store what was read with `ticket`, unless it may already be stale."""
        with self._lock:
            fresh = self.enabled and self._flushed_at <= ticket
            fresh = fresh and self._touched.get(key, -1) <= ticket
            self._done(key)
            if not fresh:
                return
            if key not in self._values and len(self._values) >= self.max_entries:
                del self._values[next(iter(self._values))]
            self._values[key] = value

    def abandon(self, key: str) -> None:
        """Give a ticket back without storing (the read failed)."""
        with self._lock:
            self._done(key)

    def _done(self, key: str) -> None:
        left = self._reading.get(key, 0) - 1
        if left > 0:
            self._reading[key] = left
        else:
            self._reading.pop(key, None)
            self._touched.pop(key, None)

    def invalidate(self, keys: Iterable[str]) -> None:
        """These keys changed: drop them, and refuse any read of them already under way."""
        with self._lock:
            self._seq += 1
            for key in keys:
                self._values.pop(key, None)
                if key in self._reading:
                    self._touched[key] = self._seq

    def flush(self, enabled: bool | None = None) -> None:
        """Drop everything (the invalidation channel was lost or re-established, or a
        connection whose reads Redis tracked was lost) and refuse every read under way;
        `enabled` says whether to cache from now on (None: as before, decided under the lock,
        so a flush from a reading thread never re-enables a cache the listener turned off)."""
        with self._lock:
            self._seq += 1
            self._flushed_at = self._seq
            self._values.clear()
            if enabled is not None:
                self.enabled = enabled

    def __len__(self) -> int:
        return len(self._values)
