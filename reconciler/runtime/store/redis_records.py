"""Entity records on Redis: entity <-> customer mapping and the cached subscription.

Each entity's record is one hash, read with one HMGET and kept in the process's record cache
(on single-node Redis; `redis_tracking.py` keeps it true); the rest of a batch is read in one
pipelined round trip.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.runtime.store import keys
from reconciler.runtime.store.base import EntityRecord, record_token
from reconciler.runtime.store.record_cache import RecordCache
from reconciler.runtime.store.redis_client import RedisConnection
from reconciler.runtime.store.redis_cluster_tracking import ClusterTracking
from reconciler.runtime.store.redis_tracking import TrackedReads


@functools.lru_cache(maxsize=4096)
def _parse(raw: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(raw)
    return value


def _copy(subscription: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a subscription dict the caller may mutate (nested dicts and lists too)."""
    value = dict(subscription)
    for name, nested in value.items():
        if isinstance(nested, dict):
            value[name] = dict(nested)
        elif isinstance(nested, list):
            value[name] = [dict(v) if isinstance(v, dict) else v for v in nested]
    return value


def _decode_subscription(raw: str | None) -> dict[str, Any] | None:
    """The cached subscription; parsing is memoized by text because the same few thousand
    values are read on every request. Callers get their own copy to mutate."""
    if not raw:
        return None
    return _copy(_parse(raw))


def decode_record(customer: str | None, raw: str | None) -> EntityRecord:
    """The record from its hash fields as Redis returns them (missing: None or '')."""
    return EntityRecord(customer or None, _decode_subscription(raw), record_token(customer, raw))


_RECORD_FIELDS = (keys.CUSTOMER_FIELD, keys.SUBSCRIPTION_FIELD)


class RedisRecords(RedisConnection):
    """The record methods of the Redis store; `redis_store.RedisStore` sets the cache up."""

    record_cache: RecordCache[EntityRecord]
    tracking: TrackedReads | ClusterTracking | None

    def get_customer(self, entity_id: str) -> str | None:
        return self.get_record(entity_id).customer_id

    def set_customer(self, entity_id: str, customer_id: str) -> None:
        entity = keys.entity_key(entity_id)
        reverse = keys.customer_key(customer_id)
        # Two keys in two hash slots: two commands (a cluster refuses a cross-slot MULTI).
        self._call(lambda: self._client.hset(entity, keys.CUSTOMER_FIELD, customer_id))
        self._call(lambda: self._client.set(reverse, entity_id))
        self.record_cache.invalidate([entity])

    def entity_for_customer(self, customer_id: str) -> str | None:
        key = keys.customer_key(customer_id)
        value: str | None = self._call(lambda: self._client.get(key))
        return value

    def get_subscription(self, entity_id: str) -> dict[str, Any] | None:
        subscription = self.get_record(entity_id).subscription
        return None if subscription is None else _copy(subscription)

    def set_subscription(self, entity_id: str, subscription: Mapping[str, Any]) -> None:
        key = keys.entity_key(entity_id)
        text = json.dumps(dict(subscription), sort_keys=True)
        self._call(lambda: self._client.hset(key, keys.SUBSCRIPTION_FIELD, text))
        self.record_cache.invalidate([key])

    def get_record(self, entity_id: str) -> EntityRecord:
        cached = self.record_cache.get(keys.entity_key(entity_id))
        return cached if cached is not None else self.get_records([entity_id])[0]

    def get_records(self, entity_ids: Sequence[str]) -> list[EntityRecord]:
        """Cached records where the cache has them; the rest in one pipelined round trip
        (on a tracked connection when the cache is on, so Redis reports later writes)."""
        names = [keys.entity_key(e) for e in entity_ids]
        found = [self.record_cache.get(k) for k in names]
        missing = sorted({k for k, r in zip(names, found, strict=True) if r is None})
        if missing:
            fresh = dict(zip(missing, self._read_records(missing), strict=True))
            found = [r if r is not None else fresh[k] for k, r in zip(names, found, strict=True)]
        return [r for r in found if r is not None]

    def _read_records(self, names: Sequence[str]) -> list[EntityRecord]:
        commands = [("HMGET", key, *_RECORD_FIELDS) for key in names]
        cache = self.record_cache
        if self.tracking is None or not cache.enabled:
            if self.tracking is not None:
                self.tracking.listen()  # a forked child's starts on its first read
            return [decode_record(c, s) for c, s in self._call(lambda: self._pipelined(commands))]
        tickets = [cache.begin(key) for key in names]
        try:
            rows = self._call(lambda: self.tracking and self.tracking.read(commands))
        except BaseException:
            for key in names:
                cache.abandon(key)
            raise
        if rows is None:  # the listener dropped meanwhile: read uncached
            for key in names:
                cache.abandon(key)
            return [decode_record(c, s) for c, s in self._call(lambda: self._pipelined(commands))]
        records = [decode_record(c, s) for c, s in rows]
        for key, record, ticket in zip(names, records, tickets, strict=True):
            cache.put(key, record, ticket)
        return records
