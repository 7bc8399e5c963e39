"""Entity records in the SQLite file: entity <-> customer mapping and the cached subscription.

Records are kept in an in-process cache; every record write bumps one version row in the same
transaction, and a read checks that row (one indexed SELECT) before trusting the cache, so a
write by any process sharing the file empties every other process's cache.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.runtime.store import keys
from reconciler.runtime.store.base import EntityRecord, record_token
from reconciler.runtime.store.record_cache import RecordCache
from reconciler.runtime.store.sqlite_file import SqliteFile


def decode_record(customer: str | None, raw: str | None) -> EntityRecord:
    """The record from its two rows (None where a row is absent)."""
    subscription = None if raw is None else dict(json.loads(raw))
    return EntityRecord(customer, subscription, record_token(customer, raw))


def record_rows(entity_id: str) -> tuple[str, str]:
    """The rows of the entity's customer id and cached subscription."""
    key = keys.entity_key(entity_id)
    return keys.field_row(key, keys.CUSTOMER_FIELD), keys.field_row(key, keys.SUBSCRIPTION_FIELD)


class SqliteRecords(SqliteFile):
    """The record methods of the SQLite store; `sqlite_store.SqliteStore` sets the cache up."""

    record_cache: RecordCache[EntityRecord]
    _use_cache: bool
    _cached_version: str | None

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
            wanted += record_rows(entity_id)

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
            decode_record(found.get(wanted[i]), found.get(wanted[i + 1]))
            for i in range(1, len(wanted), 2)
        ]
        return records, found.get(keys.RECORDS_VERSION_KEY)
