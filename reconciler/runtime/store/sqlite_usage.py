"""Usage counters and the meter outbox in the SQLite file: the steps of the Redis store's
scripts (`redis_scripts.py`), each in one `BEGIN IMMEDIATE` transaction, which takes SQLite's
write lock before reading, so two writers can never both pass a check."""

from __future__ import annotations

import sqlite3
import time

from reconciler.errors import LimitExceeded
from reconciler.runtime.store import keys
from reconciler.runtime.store.base import (
    MeterUsage,
    StaleRecord,
    UsageBatch,
    check_amount,
    meter_totals,
    new_nonce,
    new_op_id,
)
from reconciler.runtime.store.sqlite_file import LIVE, SqliteFile
from reconciler.runtime.store.sqlite_records import decode_record, record_rows


class SqliteUsage(SqliteFile):
    """The counter and meter-outbox methods of the SQLite store."""

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
                f"SELECT value FROM kv WHERE key = ? AND {LIVE}", (done_row, now)
            ).fetchone()
            if done is not None:
                return int(done[0])
            if expected_token is not None:
                rows = record_rows(entity_id)
                found = dict(
                    conn.execute("SELECT key, value FROM kv WHERE key IN (?, ?)", rows).fetchall()
                )
                current = decode_record(found.get(rows[0]), found.get(rows[1]))
                if current.token != expected_token:
                    raise StaleRecord(current)
            row = conn.execute(
                f"SELECT value, expires_at FROM kv WHERE key = ? AND {LIVE}", (key, now)
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

    def usage(self, entity_id: str, counter: str, period_start: int) -> int:
        value = self._get(keys.usage_key(entity_id, counter, period_start))
        return int(value or 0)

    def _outbox(self, conn: sqlite3.Connection, entity_id: str) -> dict[str, str]:
        prefix = keys.field_row(keys.meters_key(entity_id), "")
        rows = conn.execute(
            "SELECT key, value FROM kv WHERE key >= ? AND key < ?", (prefix, prefix + "\uffff")
        ).fetchall()
        return {k[len(prefix) :]: v for k, v in rows}

    def metered_entities(self) -> list[str]:
        return self._read(self._metered)

    @staticmethod
    def _metered(conn: sqlite3.Connection) -> list[str]:
        prefix = keys.field_row(keys.METER_OUTBOX_KEY, "")
        rows = conn.execute(
            "SELECT key FROM kv WHERE key >= ? AND key < ?", (prefix, prefix + "\uffff")
        ).fetchall()
        return sorted(str(r[0])[len(prefix) :] for r in rows)

    def take_usage_batches(
        self, entity_id: str, owner: str, lease_seconds: float
    ) -> list[UsageBatch]:
        # The same steps as the Redis script, in one write transaction.
        outbox = keys.meters_key(entity_id)
        taken: list[UsageBatch] = []
        fresh = new_nonce()
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
                    seq, value, ts, holder, until, *rest = batch.split("|")
                    nonce = rest[0] if rest else ""
                    if holder != owner and float(until) > now:
                        continue
                else:
                    seq = str(int(fields.get(f"seq:{m}", "0")) + 1)
                    value, ts, nonce = fields[f"pending:{m}"], str(int(now)), fresh
                    self._put(conn, keys.field_row(outbox, f"seq:{m}"), seq, None)
                    self._put(conn, keys.field_row(outbox, f"pending:{m}"), "0", None)
                parts = (seq, value, ts, owner, lease, *((nonce,) if nonce else ()))
                self._put(conn, keys.field_row(outbox, f"batch:{m}"), "|".join(parts), None)
                taken.append(UsageBatch(entity_id, m, int(seq), int(value), int(ts), nonce))
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

    def unsent_usage(self) -> int:
        def run(conn: sqlite3.Connection) -> int:
            return sum(
                usage.unflushed
                for entity_id in self._metered(conn)
                for usage in meter_totals(self._outbox(conn, entity_id)).values()
            )

        return self._read(run)
