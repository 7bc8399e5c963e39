"""What processes share through Redis besides records and usage: claims (locks, processed
webhook events), the GCRA rate limiter, the work queue, and the live catalog cache."""

from __future__ import annotations

from reconciler.runtime.store import keys, redis_scripts
from reconciler.runtime.store.base import Taken
from reconciler.runtime.store.redis_client import RedisConnection


def _ms(seconds: float) -> str:
    """A time as integer milliseconds, the queue's sorted-set score."""
    return str(int(seconds * 1000))


class RedisCoordination(RedisConnection):
    """The claim, rate-limiter, queue and catalog methods of the Redis store."""

    def claim(self, name: str, token: str, ttl_seconds: float) -> bool:
        key = keys.claim_key(name)
        px = max(1, int(ttl_seconds * 1000))
        return bool(self._call(lambda: self._client.set(key, token, nx=True, px=px)))

    def release(self, name: str, token: str) -> bool:
        script = self._script(redis_scripts.RELEASE)
        key = keys.claim_key(name)
        return bool(self._call(lambda: script(keys=[key], args=[token])))

    def acquire_rate(self, name: str, rate_per_second: float, burst: int) -> float:
        script = self._script(redis_scripts.ACQUIRE_RATE)
        key = keys.rate_key(name)
        args = [1_000_000 / rate_per_second, burst]
        wait_us = self._call(lambda: script(keys=[key], args=args))
        return int(wait_us) / 1_000_000

    def enqueue(self, queue: str, item: str, now: float) -> None:
        script = self._script(redis_scripts.ENQUEUE)
        self._call(lambda: script(keys=list(keys.queue_keys(queue)), args=[_ms(now), item]))

    def take(self, queue: str, now: float, lease_seconds: float) -> Taken | None:
        script = self._script(redis_scripts.TAKE)
        args = [_ms(now), _ms(now + lease_seconds)]
        found = self._call(lambda: script(keys=list(keys.queue_keys(queue)), args=args))
        return None if not found else Taken(str(found[0]), str(found[1]))

    def finish(self, queue: str, taken: Taken, retry_at: float | None = None) -> None:
        script = self._script(redis_scripts.FINISH)
        args = [taken.item, taken.version, "" if retry_at is None else _ms(retry_at)]
        self._call(lambda: script(keys=list(keys.queue_keys(queue)), args=args))

    def queue_length(self, queue: str) -> int:  # due or leased
        due = keys.queue_keys(queue)[0]
        return int(self._call(lambda: self._client.zcard(due)))

    def queue_first_due(self, queue: str) -> float | None:
        due = keys.queue_keys(queue)[0]
        first = self._call(lambda: self._client.zrange(due, 0, 0, withscores=True))
        return float(first[0][1]) / 1000 if first else None

    def get_catalog(self) -> str | None:
        value: str | None = self._call(lambda: self._client.get(keys.CATALOG_KEY))
        return value

    def set_catalog(self, text: str) -> None:
        self._call(lambda: self._client.set(keys.CATALOG_KEY, text))
