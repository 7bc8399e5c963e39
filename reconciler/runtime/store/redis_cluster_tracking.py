"""The record cache on Redis Cluster: one tracked-reads listener per primary (`redis_tracking`),
all keeping one `RecordCache` true.

Redis tracks keys per server, so each primary gets its own invalidation listener and reading
connections; a record is read on the connections of the node serving its slot (from the
client's slot map), and that node reports later writes of it. The shared cache serves hits only
while *every* node's listener is subscribed: one node's listener lost (the node restarted, a
partition) flushes the whole cache and turns it off until that listener is back, as on one
server. A resharding moves a slot's keys with `MIGRATE`, which deletes them on the old node, so
the old node invalidates what it had reported; a read sent to a node that no longer serves the
slot gets MOVED: it is read uncached (the cluster client follows the redirect and refreshes its
slot map) and a node met for the first time gets a listener of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

import redis

from reconciler.runtime.store.after_fork import renew_after_fork
from reconciler.runtime.store.record_cache import RecordCache
from reconciler.runtime.store.redis_tracking import TrackedReads, Wait


class _NodeCache:
    """What one node's listener sees as its cache: invalidations pass through to the shared
    cache; turning it on or off is that node's vote, and the cache is on when all agree."""

    def __init__(self, owner: ClusterTracking, node: str) -> None:
        self._owner, self._node = owner, node

    def invalidate(self, keys: Iterable[str]) -> None:
        self._owner.cache.invalidate(keys)

    def flush(self, enabled: bool | None = None) -> None:
        self._owner.vote(self._node, enabled)


class ClusterTracking:
    """Tracked reads on every primary of a cluster, sharing `cache`; the same interface as
    `TrackedReads` (`read`, `listen`, `wait_connected`, `close`)."""

    def __init__(self, client: Any, cache: RecordCache[Any], wait: Wait | None = None) -> None:
        self.cache = cache
        self._client = client
        self._wait = wait
        self._lock = threading.Lock()
        self._votes: dict[str, bool] = {}
        self._nodes: dict[str, TrackedReads] = {}
        renew_after_fork(self)
        primaries = list(client.get_primaries())
        for node in primaries:  # every node votes "off" before any listener can vote "on"
            self._votes[node.name] = False
        for node in primaries:
            self._track(node)

    def after_fork_in_child(self) -> None:
        """Each node's `TrackedReads` renews itself; here the votes are reset (no listener
        of this process is subscribed yet) and the lock renewed."""
        self._lock = threading.Lock()
        self._votes = dict.fromkeys(self._votes, False)

    def vote(self, node: str, enabled: bool | None) -> None:
        with self._lock:
            if enabled is not None:
                self._votes[node] = enabled
            self.cache.flush(enabled=None if enabled is None else all(self._votes.values()))

    def _track(self, node: Any) -> TrackedReads:
        with self._lock:
            found = self._nodes.get(node.name)
            if found is not None:
                return found
            self._votes.setdefault(node.name, False)
        pool = node.redis_connection.connection_pool
        tracked = TrackedReads(pool, _NodeCache(self, node.name), wait=self._wait)
        with self._lock:
            self._nodes.setdefault(node.name, tracked)
            return self._nodes[node.name]

    def listen(self) -> None:
        for tracked in list(self._nodes.values()):
            tracked.listen()

    def wait_connected(self, timeout: float) -> bool:
        return all(t.wait_connected(timeout) for t in list(self._nodes.values()))

    def read(self, commands: Sequence[tuple[Any, ...]]) -> list[Any] | None:
        """The replies to `commands` (each on one key: `command[1]`), read on the tracked
        connections of the nodes serving their slots; None when any of them cannot be read
        tracked now (the caller reads them all the usual way, uncached)."""
        groups: dict[str, tuple[Any, list[int]]] = {}
        slots = self._client.nodes_manager
        for index, command in enumerate(commands):
            try:
                node = slots.get_node_from_slot(self._client.keyslot(command[1]))
            except redis.exceptions.RedisClusterException:
                return None  # no node serves the slot now: the uncached read reports it
            groups.setdefault(node.name, (node, []))[1].append(index)
        replies: list[Any] = [None] * len(commands)
        for node, indexes in groups.values():
            tracked = self._nodes.get(node.name) or self._track(node)
            try:
                got = tracked.read([commands[i] for i in indexes])
            except redis.exceptions.ResponseError:
                return None  # MOVED, ASK, TRYAGAIN, CLUSTERDOWN: the cluster client copes
            if got is None:
                return None
            for index, reply in zip(indexes, got, strict=True):
                replies[index] = reply
        return replies

    def close(self) -> None:
        for tracked in list(self._nodes.values()):
            tracked.close()
