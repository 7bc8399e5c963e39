"""The embedded store: one SQLite file (WAL mode), for a single machine with no Redis server.

Several threads and processes may share the file: each thread has its own connection, and
every read-modify-write (`claim`, `consume`) runs in one `BEGIN IMMEDIATE` transaction, which
takes SQLite's write lock before reading, so two writers can never both pass a check.
Keys are the same strings as in Redis (`keys.py`); a Redis hash field is a row of its own.

Entity records are kept in an in-process cache; every record write bumps one version row in
the same transaction, and a read checks that row (one indexed SELECT) before trusting the
cache, so a write by any process sharing the file empties every other process's cache.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from reconciler.errors import LimitExceeded, OutcomeUnknown, StoreUnavailable
from reconciler.runtime.store import keys
from reconciler.runtime.store.base import (
    EntityRecord,
    MeterUsage,
    StaleRecord,
    Taken,
    UsageBatch,
    check_amount,
    meter_totals,
    new_op_id,
    record_token,
)
from reconciler.runtime.store.record_cache import DEFAULT_MAX_ENTRIES, RecordCache

DEFAULT_PATH = Path(".reconciler") / "store.sqlite3"
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at REAL
) WITHOUT ROWID
"""
_QUEUE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS queue (name TEXT NOT NULL, item TEXT NOT NULL, "
    "due REAL NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (name, item)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS queue_due ON queue (name, due)",
)
_LIVE = "(expires_at IS NULL OR expires_at > ?)"

T = TypeVar("T")


def _record(customer: str | None, raw: str | None) -> EntityRecord:
    subscription = None if raw is None else dict(json.loads(raw))
    return EntityRecord(customer, subscription, record_token(customer, raw))


class SqliteStore:
    """The runtime store in a SQLite file; safe across threads and processes."""

    def __init__(
        self,
        path: str | Path = DEFAULT_PATH,
        record_cache: bool = True,
        cache_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self.path = Path(path)
        self.record_cache: RecordCache[EntityRecord] = RecordCache(cache_entries)
        self._use_cache = record_cache
        self._cached_version: str | None = None
        self.description = f"SQLite store at {self.path}"
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            # One level only (the default `.reconciler/`): never a whole missing tree.
            self.path.parent.mkdir(exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"{self.description} cannot be created: {exc}") from exc
        with self._errors():
            conn = self._conn()
            conn.execute(_SCHEMA)
            for statement in _QUEUE_SCHEMA:
                conn.execute(statement)
            # Counters and claims expire; sweep what earlier runs left behind.
            conn.execute(
                "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (time.time(),)
            )

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"{self.description} failed: {exc}") from exc

    @contextmanager
    def _write(self, op_id: str | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction, holding the database's write lock from its first read.
        With `op_id`, a COMMIT that fails and leaves no transaction to roll back raises
        `OutcomeUnknown`: SQLite may have made it durable before reporting the error."""
        with self._errors():
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:  # still open: rolled back here, so not applied
                    conn.execute("ROLLBACK")
                    raise
                if op_id is None:
                    raise
                raise OutcomeUnknown(
                    f"{self.description} failed to commit a consume ({exc}); it may have "
                    f"been applied: retry with op_id={op_id!r}",
                    op_id,
                ) from exc

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._errors():
            return fn(self._conn())

    def _get(self, key: str) -> str | None:
        def run(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                f"SELECT value FROM kv WHERE key = ? AND {_LIVE}", (key, time.time())
            ).fetchone()
            return None if row is None else str(row[0])

        return self._read(run)

    def _put(
        self, conn: sqlite3.Connection, key: str, value: str, expires_at: float | None
    ) -> None:
        conn.execute(
            "INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
            "SET value = excluded.value, expires_at = excluded.expires_at",
            (key, value, expires_at),
        )

    def _set(self, key: str, value: str) -> None:
        with self._write() as conn:
            self._put(conn, key, value, None)

    def ping(self) -> None:
        self._read(lambda conn: conn.execute("SELECT 1").fetchone())

    def get_customer(self, entity_id: str) -> str | None:
        return self._get(keys.field_row(keys.entity_key(entity_id), keys.CUSTOMER_FIELD))

    def _bump_records_version(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO kv (key, value, expires_at) VALUES (?, '1', NULL) ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            (keys.RECORDS_VERSION_KEY,),
        )

    def set_customer(self, entity_id: str, customer_id: str) -> None:
        with self._write() as conn:
            row = keys.field_row(keys.entity_key(entity_id), keys.CUSTOMER_FIELD)
            self._put(conn, row, customer_id, None)
            self._put(conn, keys.customer_key(customer_id), entity_id, None)
            self._bump_records_version(conn)

    def entity_for_customer(self, customer_id: str) -> str | None:
        return self._get(keys.customer_key(customer_id))

    def get_subscription(self, entity_id: str) -> dict[str, Any] | None:
        raw = self._get(keys.field_row(keys.entity_key(entity_id), keys.SUBSCRIPTION_FIELD))
        return None if raw is None else dict(json.loads(raw))

    def set_subscription(self, entity_id: str, subscription: Mapping[str, Any]) -> None:
        row = keys.field_row(keys.entity_key(entity_id), keys.SUBSCRIPTION_FIELD)
        with self._write() as conn:
            self._put(conn, row, json.dumps(dict(subscription), sort_keys=True), None)
            self._bump_records_version(conn)

    def get_record(self, entity_id: str) -> EntityRecord:
        return self.get_records([entity_id])[0]

    def get_records(self, entity_ids: Sequence[str]) -> list[EntityRecord]:
        """Cached records while the version row is unchanged; the rest read in one snapshot
        (which also reads the version row, so what is cached is never newer than it)."""
        if not self._use_cache:
            return self._read_records(entity_ids)[0]
        cache = self.record_cache
        self._check_version(self._get(keys.RECORDS_VERSION_KEY))
        names = [keys.entity_key(e) for e in entity_ids]
        found = [cache.get(k) for k in names]
        missing = sorted({e for e, r in zip(entity_ids, found, strict=True) if r is None})
        if not missing:
            return [r for r in found if r is not None]
        tickets = [cache.begin(keys.entity_key(e)) for e in missing]
        try:
            records, version = self._read_records(missing)
        except BaseException:
            for e in missing:
                cache.abandon(keys.entity_key(e))
            raise
        self._check_version(version)
        fresh = {}
        for entity_id, record, ticket in zip(missing, records, tickets, strict=True):
            cache.put(keys.entity_key(entity_id), record, ticket)
            fresh[keys.entity_key(entity_id)] = record
        return [r if r is not None else fresh[k] for k, r in zip(names, found, strict=True)]

    def _check_version(self, version: str | None) -> None:
        """Empty the cache when another writer bumped the version since it was filled."""
        cache = self.record_cache
        with self._lock:
            if version != self._cached_version or not cache.enabled:
                cache.flush(enabled=True)
                self._cached_version = version

    def _read_records(self, entity_ids: Sequence[str]) -> tuple[list[EntityRecord], str | None]:
        wanted: list[str] = [keys.RECORDS_VERSION_KEY]
        for entity_id in entity_ids:
            key = keys.entity_key(entity_id)
            wanted += [
                keys.field_row(key, keys.CUSTOMER_FIELD),
                keys.field_row(key, keys.SUBSCRIPTION_FIELD),
            ]

        def run(conn: sqlite3.Connection) -> dict[str, str]:
            found: dict[str, str] = {}
            # SQLite caps bound parameters; read in chunks inside one snapshot.
            conn.execute("BEGIN")
            try:
                for i in range(0, len(wanted), 500):
                    chunk = wanted[i : i + 500]
                    marks = ",".join("?" * len(chunk))
                    found.update(
                        conn.execute(
                            f"SELECT key, value FROM kv WHERE key IN ({marks})", chunk
                        ).fetchall()
                    )
            finally:
                conn.execute("COMMIT")
            return found

        found = self._read(run)
        records = [
            _record(found.get(wanted[i]), found.get(wanted[i + 1]))
            for i in range(1, len(wanted), 2)
        ]
        return records, found.get(keys.RECORDS_VERSION_KEY)

    def claim(self, name: str, token: str, ttl_seconds: float) -> bool:
        key = keys.claim_key(name)
        now = time.time()
        with self._write() as conn:
            row = conn.execute(f"SELECT 1 FROM kv WHERE key = ? AND {_LIVE}", (key, now)).fetchone()
            if row is not None:
                return False
            self._put(conn, key, token, now + ttl_seconds)
            return True

    def release(self, name: str, token: str) -> bool:
        key = keys.claim_key(name)
        with self._write() as conn:
            cursor = conn.execute("DELETE FROM kv WHERE key = ? AND value = ?", (key, token))
            return cursor.rowcount > 0

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
        check_amount(amount)
        op = op_id or new_op_id()
        key = keys.usage_key(entity_id, counter, period_start)
        done_row = keys.field_row(keys.usage_ops_key(entity_id, counter, period_start), op)
        now = time.time()
        with self._write(op) as conn:
            done = conn.execute(
                f"SELECT value FROM kv WHERE key = ? AND {_LIVE}", (done_row, now)
            ).fetchone()
            if done is not None:
                return int(done[0])
            if expected_token is not None:
                entity = keys.entity_key(entity_id)
                rows = [
                    keys.field_row(entity, f)
                    for f in (keys.CUSTOMER_FIELD, keys.SUBSCRIPTION_FIELD)
                ]
                found = dict(
                    conn.execute("SELECT key, value FROM kv WHERE key IN (?, ?)", rows).fetchall()
                )
                current = _record(found.get(rows[0]), found.get(rows[1]))
                if current.token != expected_token:
                    raise StaleRecord(current)
            row = conn.execute(
                f"SELECT value, expires_at FROM kv WHERE key = ? AND {_LIVE}", (key, now)
            ).fetchone()
            used = 0 if row is None else int(row[0])
            if limit is not None and used + amount > limit:
                raise LimitExceeded(counter, used, limit, amount)
            expires_at = now + max(1, ttl_seconds) if row is None else row[1]
            self._put(conn, key, str(used + amount), expires_at)
            self._put(conn, done_row, str(used + amount), expires_at)
            if meter:
                outbox = keys.meters_key(entity_id)
                self._add(conn, keys.field_row(outbox, f"pending:{meter}"), amount)
                self._add(conn, keys.field_row(outbox, f"consumed:{meter}"), amount)
                self._put(conn, keys.field_row(keys.METER_OUTBOX_KEY, entity_id), "1", None)
            return used + amount

    def _add(self, conn: sqlite3.Connection, row: str, amount: int) -> None:
        conn.execute(
            "INSERT INTO kv (key, value, expires_at) VALUES (?, ?, NULL) ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + ?",
            (row, str(amount), amount),
        )

    def _outbox(self, conn: sqlite3.Connection, entity_id: str) -> dict[str, str]:
        prefix = keys.field_row(keys.meters_key(entity_id), "")
        rows = conn.execute(
            "SELECT key, value FROM kv WHERE key >= ? AND key < ?", (prefix, prefix + "\uffff")
        ).fetchall()
        return {k[len(prefix) :]: v for k, v in rows}

    def metered_entities(self) -> list[str]:
        prefix = keys.field_row(keys.METER_OUTBOX_KEY, "")

        def run(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT key FROM kv WHERE key >= ? AND key < ?", (prefix, prefix + "\uffff")
            ).fetchall()
            return sorted(str(r[0])[len(prefix) :] for r in rows)

        return self._read(run)

    def take_usage_batches(
        self, entity_id: str, owner: str, lease_seconds: float
    ) -> list[UsageBatch]:
        # The same steps as the Redis script, in one write transaction.
        outbox = keys.meters_key(entity_id)
        taken: list[UsageBatch] = []
        with self._write() as conn:
            now = time.time()
            fields = self._outbox(conn, entity_id)
            meters = sorted(
                {f[6:] for f in fields if f.startswith("batch:")}
                | {f[8:] for f, v in fields.items() if f.startswith("pending:") and int(v) > 0}
            )
            lease = repr(now + lease_seconds)
            for m in meters:
                batch = fields.get(f"batch:{m}")
                if batch is not None:
                    seq, value, ts, holder, until = batch.split("|")
                    if holder != owner and float(until) > now:
                        continue
                else:
                    seq = str(int(fields.get(f"seq:{m}", "0")) + 1)
                    value, ts = fields[f"pending:{m}"], str(int(now))
                    self._put(conn, keys.field_row(outbox, f"seq:{m}"), seq, None)
                    self._put(conn, keys.field_row(outbox, f"pending:{m}"), "0", None)
                row = "|".join((seq, value, ts, owner, lease))
                self._put(conn, keys.field_row(outbox, f"batch:{m}"), row, None)
                taken.append(UsageBatch(entity_id, m, int(seq), int(value), int(ts)))
            if not meters:
                self._drop_from_outbox(conn, entity_id)
        return taken

    def _drop_from_outbox(self, conn: sqlite3.Connection, entity_id: str) -> None:
        row = keys.field_row(keys.METER_OUTBOX_KEY, entity_id)
        conn.execute("DELETE FROM kv WHERE key = ?", (row,))

    def finish_usage_batch(self, batch: UsageBatch) -> None:
        outbox = keys.meters_key(batch.entity_id)
        row = keys.field_row(outbox, f"batch:{batch.meter}")
        with self._write() as conn:
            found = conn.execute("SELECT value FROM kv WHERE key = ?", (row,)).fetchone()
            if found is not None and found[0].split("|")[0] == str(batch.seq):
                conn.execute("DELETE FROM kv WHERE key = ?", (row,))
                flushed = keys.field_row(outbox, f"flushed:{batch.meter}")
                self._add(conn, flushed, int(found[0].split("|")[1]))
            fields = self._outbox(conn, batch.entity_id)
            busy = any(
                f.startswith("batch:") or (f.startswith("pending:") and int(v) > 0)
                for f, v in fields.items()
            )
            if not busy:
                self._drop_from_outbox(conn, batch.entity_id)

    def meter_usage(self, entity_id: str) -> dict[str, MeterUsage]:
        return meter_totals(self._read(lambda conn: self._outbox(conn, entity_id)))

    def usage(self, entity_id: str, counter: str, period_start: int) -> int:
        value = self._get(keys.usage_key(entity_id, counter, period_start))
        return int(value or 0)

    def get_catalog(self) -> str | None:
        return self._get(keys.CATALOG_KEY)

    def set_catalog(self, text: str) -> None:
        self._set(keys.CATALOG_KEY, text)

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def acquire_rate(self, name: str, rate_per_second: float, burst: int) -> float:
        # The same GCRA reservation as the Redis store, in one write transaction on this
        # machine's clock (every process sharing the file shares the clock).
        key = keys.rate_key(name)
        interval = 1.0 / rate_per_second
        with self._write() as conn:
            now = time.time()
            row = conn.execute(
                f"SELECT value FROM kv WHERE key = ? AND {_LIVE}", (key, now)
            ).fetchone()
            tat = max(now, 0.0 if row is None else float(row[0]))
            wait = max(0.0, tat - interval * (burst - 1) - now)
            self._put(conn, key, repr(tat + interval), tat + interval + 1.0)
            return wait

    # The queue: its own table (ordered by due time, which the key-value table cannot index).
    def enqueue(self, queue: str, item: str, now: float) -> None:
        with self._write() as conn:
            version = self._next_version(conn, queue)
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
            return Taken(str(row[0]), str(row[1]))

    def finish(self, queue: str, taken: Taken, retry_at: float | None = None) -> None:
        with self._write() as conn:
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
