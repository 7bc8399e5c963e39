"""What processes share through the SQLite file besides records and usage: claims (locks,
processed webhook events), the GCRA rate limiter, the work queue (a table of its own, ordered
by due time, which the key-value table cannot index), and the live catalog cache."""

from __future__ import annotations

import sqlite3
import time

from reconciler.runtime.store import keys
from reconciler.runtime.store.base import Taken
from reconciler.runtime.store.sqlite_file import LIVE, SqliteFile


class SqliteCoordination(SqliteFile):
    """The claim, rate-limiter, queue and catalog methods of the SQLite store."""

    def claim(self, name: str, token: str, ttl_seconds: float) -> bool:
        key = keys.claim_key(name)
        now = time.time()
        with self._write() as conn:
            row = conn.execute(f"SELECT 1 FROM kv WHERE key = ? AND {LIVE}", (key, now)).fetchone()
            if row is not None:
                return False
            self._put(conn, key, token, now + ttl_seconds)
            return True

    def release(self, name: str, token: str) -> bool:
        key = keys.claim_key(name)
        with self._write() as conn:
            cursor = conn.execute("DELETE FROM kv WHERE key = ? AND value = ?", (key, token))
            return cursor.rowcount > 0

    def acquire_rate(self, name: str, rate_per_second: float, burst: int) -> float:
        # The same GCRA reservation as the Redis store, in one write transaction on this
        # machine's clock (every process sharing the file shares the clock).
        key = keys.rate_key(name)
        interval = 1.0 / rate_per_second
        with self._write() as conn:
            now = time.time()
            row = conn.execute(
                f"SELECT value FROM kv WHERE key = ? AND {LIVE}", (key, now)
            ).fetchone()
            tat = max(now, 0.0 if row is None else float(row[0]))
            wait = max(0.0, tat - interval * (burst - 1) - now)
            self._put(conn, key, repr(tat + interval), tat + interval + 1.0)
            return wait

    def enqueue(self, queue: str, item: str, now: float) -> None:
        with self._write() as conn:
            version = self._next_version(conn, queue)
            lease = self._lease_end(conn, queue, item)
            if lease is not None and lease > now:
                # Taken and leased: a new version, still hidden (`finish` makes it due).
                updated = conn.execute(
                    "UPDATE queue SET version = ? WHERE name = ? AND item = ?",
                    (version, queue, item),
                )
                if updated.rowcount:
                    return
            conn.execute(
                "INSERT INTO queue (name, item, due, version) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name, item) DO UPDATE SET due = min(due, excluded.due), "
                "version = excluded.version",
                (queue, item, now, version),
            )

    def _next_version(self, conn: sqlite3.Connection, queue: str) -> int:
        key = keys.queue_keys(queue)[2]
        row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        version = 1 + (0 if row is None else int(row[0]))
        self._put(conn, key, str(version), None)
        return version

    def _lease_row(self, queue: str, item: str) -> str:
        return keys.field_row(keys.queue_keys(queue)[3], item)

    def _lease_end(self, conn: sqlite3.Connection, queue: str, item: str) -> float | None:
        key = self._lease_row(queue, item)
        row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else float(row[0])

    def take(self, queue: str, now: float, lease_seconds: float) -> Taken | None:
        with self._write() as conn:
            row = conn.execute(
                "SELECT item, version FROM queue WHERE name = ? AND due <= ? ORDER BY due LIMIT 1",
                (queue, now),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE queue SET due = ? WHERE name = ? AND item = ?",
                (now + lease_seconds, queue, row[0]),
            )
            self._put(conn, self._lease_row(queue, str(row[0])), repr(now + lease_seconds), None)
            return Taken(str(row[0]), str(row[1]))

    def finish(self, queue: str, taken: Taken, retry_at: float | None = None) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM kv WHERE key = ?", (self._lease_row(queue, taken.item),))
            # Queued again while taken (a newer version): due at once.
            conn.execute(
                "UPDATE queue SET due = 0 WHERE name = ? AND item = ? AND version != ?",
                (queue, taken.item, int(taken.version)),
            )
            if retry_at is None:
                conn.execute(
                    "DELETE FROM queue WHERE name = ? AND item = ? AND version = ?",
                    (queue, taken.item, int(taken.version)),
                )
            else:
                conn.execute(
                    "UPDATE queue SET due = ? WHERE name = ? AND item = ? AND version = ?",
                    (retry_at, queue, taken.item, int(taken.version)),
                )

    def queue_length(self, queue: str) -> int:
        def run(conn: sqlite3.Connection) -> int:
            row = conn.execute("SELECT count(*) FROM queue WHERE name = ?", (queue,)).fetchone()
            return int(row[0])

        return self._read(run)

    def queue_first_due(self, queue: str) -> float | None:
        def run(conn: sqlite3.Connection) -> float | None:
            row = conn.execute("SELECT min(due) FROM queue WHERE name = ?", (queue,)).fetchone()
            return None if row[0] is None else float(row[0])

        return self._read(run)

    def get_catalog(self) -> str | None:
        return self._get(keys.CATALOG_KEY)

    def set_catalog(self, text: str) -> None:
        self._set(keys.CATALOG_KEY, text)
