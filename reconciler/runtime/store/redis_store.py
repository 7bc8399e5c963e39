"""The Redis store (`redis://`, `rediss://`, `unix://`, and Redis Cluster): with
`redis_tracking.py`, the only modules that talk to redis-py.

Each entity's record is one hash, read with one HMGET and kept in the process's record cache
(on single-node Redis; `redis_tracking.py` keeps it true); its usage counters share the
record's hash slot, and `consume` is one Lua script (check and increment in one atomic step, so
concurrent callers can never pass the limit).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.cluster
import redis.exceptions

from reconciler.errors import (
    LimitExceeded,
    OutcomeUnknown,
    ReconcilerError,
    StoreUnavailable,
)
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
from reconciler.runtime.store.redis_tracking import TrackedReads

# KEYS[1] counter, KEYS[2] the counter's applied op ids, KEYS[3] (optional) entity record;
# ARGV amount, limit (-1: no cap), ttl, op id, expected record token. Returns
# {accepted (1/0), used}, {2, total} for an op id already applied, or
# {-1, customer, subscription} when the record no longer matches the token.
_CONSUME = """
local done = redis.call('HGET', KEYS[2], ARGV[4])
if done then
  return {2, tonumber(done)}
end
if ARGV[5] ~= '' then
  local current = redis.call('HMGET', KEYS[3], 'customer', 'subscription')
  local customer = current[1] or ''
  local subscription = current[2] or ''
  if customer .. '\\0' .. subscription ~= ARGV[5] then
    return {-1, customer, subscription}
  end
end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if limit >= 0 and used + amount > limit then
  return {0, used}
end
used = redis.call('INCRBY', KEYS[1], amount)
redis.call('HSET', KEYS[2], ARGV[4], used)
if used == amount then
  -- this call created the counter (amounts are positive): both keys start their lifetime
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
if ARGV[6] ~= '' then
  redis.call('HINCRBY', KEYS[4], 'pending:' .. ARGV[6], amount)
  redis.call('HINCRBY', KEYS[4], 'consumed:' .. ARGV[6], amount)
  redis.call('SADD', KEYS[5], ARGV[7])
end
return {1, used}
"""

# KEYS[1] the entity's meter outbox, KEYS[2] the outbox set; ARGV owner, lease (ms), entity.
# Returns {meter, seq, value, timestamp} per batch leased to the owner (see Store).
_TAKE_BATCHES = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fields = redis.call('HGETALL', KEYS[1])
local meters, order = {}, {}
for i = 1, #fields, 2 do
  local f, v = fields[i], fields[i + 1]
  local m = nil
  if string.sub(f, 1, 6) == 'batch:' then m = string.sub(f, 7) end
  if string.sub(f, 1, 8) == 'pending:' and tonumber(v) > 0 then m = string.sub(f, 9) end
  if m and not meters[m] then meters[m] = true; table.insert(order, m) end
end
table.sort(order)
local out = {}
for _, m in ipairs(order) do
  local b = redis.call('HGET', KEYS[1], 'batch:' .. m)
  if b then
    local seq, value, ts, owner, lease = string.match(b, '^(%d+)|(%d+)|(%d+)|([^|]*)|(%d+)$')
    if owner == ARGV[1] or tonumber(lease) <= now then
      redis.call('HSET', KEYS[1], 'batch:' .. m,
        table.concat({seq, value, ts, ARGV[1], now + tonumber(ARGV[2])}, '|'))
      table.insert(out, {m, seq, value, ts})
    end
  else
    local pending = redis.call('HGET', KEYS[1], 'pending:' .. m)
    local seq = redis.call('HINCRBY', KEYS[1], 'seq:' .. m, 1)
    local ts = math.floor(now / 1000)
    redis.call('HSET', KEYS[1], 'batch:' .. m,
      table.concat({seq, pending, ts, ARGV[1], now + tonumber(ARGV[2])}, '|'))
    redis.call('HSET', KEYS[1], 'pending:' .. m, 0)
    table.insert(out, {m, tostring(seq), pending, tostring(ts)})
  end
end
if #order == 0 then redis.call('SREM', KEYS[2], ARGV[3]) end
return out
"""

# KEYS[1] the entity's meter outbox, KEYS[2] the outbox set; ARGV meter, seq, entity.
_FINISH_BATCH = """
local b = redis.call('HGET', KEYS[1], 'batch:' .. ARGV[1])
if b then
  local seq, value = string.match(b, '^(%d+)|(%d+)|')
  if seq == ARGV[2] then
    redis.call('HDEL', KEYS[1], 'batch:' .. ARGV[1])
    redis.call('HINCRBY', KEYS[1], 'flushed:' .. ARGV[1], value)
  end
end
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local f = fields[i]
  if string.sub(f, 1, 6) == 'batch:' then return 0 end
  if string.sub(f, 1, 8) == 'pending:' and tonumber(fields[i + 1]) > 0 then return 0 end
end
redis.call('SREM', KEYS[2], ARGV[3])
return 1
"""

# KEYS[1] claim; ARGV token. Deletes only a claim this token still holds.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}

_UNREACHABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterError,
    redis.exceptions.BusyLoadingError,
)


def _ms(seconds: float) -> str:
    """A time as integer milliseconds, the queue's sorted-set score."""
    return str(int(seconds * 1000))


def mask_url(url: str) -> str:
    """The URL with its password replaced by `***`, safe for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


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


def _record(customer: str | None, raw: str | None) -> EntityRecord:
    return EntityRecord(customer or None, _decode_subscription(raw), record_token(customer, raw))


_RECORD_FIELDS = (keys.CUSTOMER_FIELD, keys.SUBSCRIPTION_FIELD)


class RedisStore:
    """The runtime store on Redis or Redis Cluster (`redis+cluster://` / `rediss+cluster://`).

    `record_cache` keeps entity records in the process (at most `cache_entries`), invalidated
    by Redis when any client writes them; it applies to single-node Redis only."""

    def __init__(
        self,
        url: str,
        timeout_seconds: float = 2.0,
        record_cache: bool = True,
        cache_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self.description = f"Redis at {mask_url(url)}"
        scheme = url.split("://", 1)[0]
        options: dict[str, Any] = {
            "decode_responses": True,
            "socket_connect_timeout": timeout_seconds,
            "socket_timeout": timeout_seconds,
        }
        self._client: Any
        with self._errors():
            if scheme in CLUSTER_SCHEMES:
                plain = CLUSTER_SCHEMES[scheme] + url[len(scheme) :]
                self._client = redis.cluster.RedisCluster.from_url(plain, **options)
            else:
                self._client = redis.Redis.from_url(url, **options)
        self._scripts: dict[str, Any] = {}
        self._consume = self._client.register_script(_CONSUME)
        self._release = self._client.register_script(_RELEASE)
        self._take_batches = self._client.register_script(_TAKE_BATCHES)
        self._finish_batch = self._client.register_script(_FINISH_BATCH)
        self.record_cache: RecordCache[EntityRecord] = RecordCache(cache_entries)
        self.tracking: TrackedReads | None = None
        if record_cache and scheme not in CLUSTER_SCHEMES:
            self.tracking = TrackedReads(self._client.connection_pool, self.record_cache)

    def _translate(self, exc: redis.exceptions.RedisError) -> ReconcilerError:
        if isinstance(exc, _UNREACHABLE):
            return StoreUnavailable(
                f"{self.description} is unreachable ({type(exc).__name__}: {exc}); "
                "check REDIS_URL and that the server is running"
            )
        return ReconcilerError(f"{self.description} refused a command: {exc}")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except redis.exceptions.RedisError as exc:
            raise self._translate(exc) from exc

    def _script(self, source: str) -> Any:
        """A Lua script registered once (redis-py sends EVALSHA, and the source on a miss)."""
        if source not in self._scripts:
            self._scripts[source] = self._client.register_script(source)
        return self._scripts[source]

    def _call(self, fn: Callable[[], Any]) -> Any:
        # A plain try (not the context manager): this sits on every entitlement check.
        try:
            return fn()
        except redis.exceptions.RedisError as exc:
            raise self._translate(exc) from exc

    def ping(self) -> None:
        self._call(self._client.ping)

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
            return [_record(c, s) for c, s in self._call(lambda: self._pipelined(commands))]
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
            return [_record(c, s) for c, s in self._call(lambda: self._pipelined(commands))]
        records = [_record(c, s) for c, s in rows]
        for key, record, ticket in zip(names, records, tickets, strict=True):
            cache.put(key, record, ticket)
        return records

    def _pipelined(self, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        if len(commands) == 1:  # no pipeline object for the common single read
            return [self._client.execute_command(*commands[0])]
        pipe = self._client.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        result: list[Any] = pipe.execute()
        return result

    def claim(self, name: str, token: str, ttl_seconds: float) -> bool:
        key = keys.claim_key(name)
        px = max(1, int(ttl_seconds * 1000))
        return bool(self._call(lambda: self._client.set(key, token, nx=True, px=px)))

    def release(self, name: str, token: str) -> bool:
        key = keys.claim_key(name)
        return bool(self._call(lambda: self._release(keys=[key], args=[token])))

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
        script_keys = [
            keys.usage_key(entity_id, counter, period_start),
            keys.usage_ops_key(entity_id, counter, period_start),
            keys.entity_key(entity_id),
        ]
        args: list[Any] = [
            amount,
            -1 if limit is None else limit,
            max(1, ttl_seconds),
            op,
            expected_token or "",
            meter or "",
            entity_id,
        ]
        if meter:
            # The outbox set is another hash slot: metered limits need single-node Redis.
            script_keys += [keys.meters_key(entity_id), keys.METER_OUTBOX_KEY]
        try:
            answer = self._consume(keys=script_keys, args=args)
        except _UNREACHABLE as exc:
            # The script may have been sent (redis-py also resends it on its own after a
            # timeout): only the op id makes a retry safe.
            raise OutcomeUnknown(
                f"{self.description} did not answer a consume "
                f"({type(exc).__name__}: {exc}); it may have been applied: retry with "
                f"op_id={op!r}",
                op,
            ) from exc
        except redis.exceptions.RedisError as exc:
            raise self._translate(exc) from exc
        if int(answer[0]) == -1:
            raise StaleRecord(_record(answer[1], answer[2]))
        accepted, used = answer
        if not accepted:
            assert limit is not None
            raise LimitExceeded(counter, int(used), limit, amount)
        return int(used)

    def metered_entities(self) -> list[str]:
        members = self._call(lambda: self._client.smembers(keys.METER_OUTBOX_KEY))
        return sorted(members)

    def take_usage_batches(
        self, entity_id: str, owner: str, lease_seconds: float
    ) -> list[UsageBatch]:
        script_keys = [keys.meters_key(entity_id), keys.METER_OUTBOX_KEY]
        args = [owner, max(1, int(lease_seconds * 1000)), entity_id]
        rows = self._call(lambda: self._take_batches(keys=script_keys, args=args))
        return [UsageBatch(entity_id, m, int(s), int(v), int(t)) for m, s, v, t in rows]

    def finish_usage_batch(self, batch: UsageBatch) -> None:
        script_keys = [keys.meters_key(batch.entity_id), keys.METER_OUTBOX_KEY]
        args = [batch.meter, batch.seq, batch.entity_id]
        self._call(lambda: self._finish_batch(keys=script_keys, args=args))

    def meter_usage(self, entity_id: str) -> dict[str, MeterUsage]:
        fields = self._call(lambda: self._client.hgetall(keys.meters_key(entity_id)))
        return meter_totals(fields)

    def usage(self, entity_id: str, counter: str, period_start: int) -> int:
        key = keys.usage_key(entity_id, counter, period_start)
        value = self._call(lambda: self._client.get(key))
        return int(value or 0)

    def get_catalog(self) -> str | None:
        value: str | None = self._call(lambda: self._client.get(keys.CATALOG_KEY))
        return value

    def set_catalog(self, text: str) -> None:
        self._call(lambda: self._client.set(keys.CATALOG_KEY, text))

    def close(self) -> None:
        if self.tracking is not None:
            self.tracking.close()
        self._client.close()

    # KEYS[1] limiter; ARGV interval (us), burst. GCRA with reservation, on Redis's own clock
    # so workers on several machines agree: the caller gets the next free slot and the
    # microseconds until it (0: now). The key expires once no slot is reserved.
    _ACQUIRE_RATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
local next_tat = tat + interval
local ttl = math.floor((next_tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', ttl)
return math.floor(wait)
"""

    def acquire_rate(self, name: str, rate_per_second: float, burst: int) -> float:
        script = self._script(self._ACQUIRE_RATE)
        key = keys.rate_key(name)
        args = [1_000_000 / rate_per_second, burst]
        wait_us = self._call(lambda: script(keys=[key], args=args))
        return int(wait_us) / 1_000_000

    # The queue: KEYS[1] due times (sorted set, ms), KEYS[2] item -> version (hash), KEYS[3]
    # version counter. One hash slot per queue (keys.queue_keys).
    _ENQUEUE = """
redis.call('ZADD', KEYS[1], 'LT', ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], redis.call('INCR', KEYS[3]))
return 1
"""
    _TAKE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
if #due == 0 then
  return false
end
redis.call('ZADD', KEYS[1], ARGV[2], due[1])
return {due[1], redis.call('HGET', KEYS[2], due[1]) or '0'}
"""
    _FINISH = """
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then
  return 0
end
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
return 1
"""

    def enqueue(self, queue: str, item: str, now: float) -> None:
        script = self._script(self._ENQUEUE)
        self._call(lambda: script(keys=list(keys.queue_keys(queue)), args=[_ms(now), item]))

    def take(self, queue: str, now: float, lease_seconds: float) -> Taken | None:
        script = self._script(self._TAKE)
        args = [_ms(now), _ms(now + lease_seconds)]
        found = self._call(lambda: script(keys=list(keys.queue_keys(queue)), args=args))
        return None if not found else Taken(str(found[0]), str(found[1]))

    def finish(self, queue: str, taken: Taken, retry_at: float | None = None) -> None:
        script = self._script(self._FINISH)
        args = [taken.item, taken.version, "" if retry_at is None else _ms(retry_at)]
        self._call(lambda: script(keys=list(keys.queue_keys(queue)), args=args))

    def queue_length(self, queue: str) -> int:
        due = keys.queue_keys(queue)[0]
        return int(self._call(lambda: self._client.zcard(due)))
