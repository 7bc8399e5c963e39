"""The Redis store (`redis://`, `rediss://`, `unix://`, and Redis Cluster), put together from
its parts:

- `redis_client.py`: the client for a URL, error translation, script registration;
- `redis_records.py`: entity records (customer mapping, cached subscription), kept in the
  process's record cache, which `redis_tracking.py` keeps true (per cluster node:
  `redis_cluster_tracking.py`);
- `redis_usage.py`: usage counters and the meter outbox;
- `redis_coordination.py`: claims, the rate limiter, the work queue, the catalog cache;
- `redis_scripts.py`: the Lua scripts, each one atomic step.
"""

from __future__ import annotations

from reconciler.runtime.store.record_cache import DEFAULT_MAX_ENTRIES, RecordCache
from reconciler.runtime.store.redis_client import CLUSTER_SCHEMES, mask_url
from reconciler.runtime.store.redis_cluster_tracking import ClusterTracking
from reconciler.runtime.store.redis_coordination import RedisCoordination
from reconciler.runtime.store.redis_records import RedisRecords
from reconciler.runtime.store.redis_tracking import TrackedReads, Wait
from reconciler.runtime.store.redis_usage import RedisUsage

__all__ = ["CLUSTER_SCHEMES", "RedisStore", "mask_url"]


class RedisStore(RedisRecords, RedisUsage, RedisCoordination):
    """The runtime store on Redis or Redis Cluster (`redis+cluster://` / `rediss+cluster://`).

    `record_cache` keeps entity records in the process (at most `cache_entries`), invalidated
    by Redis when any client writes them (on a cluster, by each node: see
    `redis_cluster_tracking.py`).
    `reconnect_wait(seconds)` is how its invalidation listener waits between reconnect
    attempts while Redis is unreachable (tests pass one that does not sleep)."""

    def __init__(
        self,
        url: str,
        timeout_seconds: float = 2.0,
        record_cache: bool = True,
        cache_entries: int = DEFAULT_MAX_ENTRIES,
        reconnect_wait: Wait | None = None,
    ) -> None:
        super().__init__(url, timeout_seconds)
        self.record_cache = RecordCache(cache_entries)
        self.tracking: TrackedReads | ClusterTracking | None = None
        if record_cache and self.is_cluster:
            self.tracking = ClusterTracking(self._client, self.record_cache, reconnect_wait)
        elif record_cache:
            self.tracking = TrackedReads(
                self._client.connection_pool, self.record_cache, wait=reconnect_wait
            )

    def close(self) -> None:
        if self.tracking is not None:
            self.tracking.close()
        self._client.close()
