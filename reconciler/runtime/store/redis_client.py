"""The Redis store's connection: the redis-py client for a URL, its Lua scripts, and the
translation of redis-py's errors into the project's (with `redis_tracking.py`, the only
modules that import redis-py).

`RedisConnection` is the base of the Redis store's parts (`redis_records.py`,
`redis_usage.py`, `redis_coordination.py`); `redis_store.py` puts them together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.cluster
import redis.exceptions

from reconciler.errors import OutcomeUnknown, ReconcilerError, StoreUnavailable

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}

_UNREACHABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.SlotNotCoveredError,  # no node serves the key's slot now
)
# redis-py's cluster client raises some errors outside RedisError (RedisClusterException).
_DRIVER_ERRORS = (redis.exceptions.RedisError, redis.exceptions.RedisClusterException)


def mask_url(url: str) -> str:
    """The URL with its password replaced by `***`, safe for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


class RedisConnection:
    """A client for one Redis server or cluster, calls whose errors are the project's, and
    Lua scripts registered once."""

    def __init__(self, url: str, timeout_seconds: float) -> None:
        self.description = f"Redis at {mask_url(url)}"
        self._scheme = url.split("://", 1)[0]
        options: dict[str, Any] = {
            "decode_responses": True,
            "socket_connect_timeout": timeout_seconds,
            "socket_timeout": timeout_seconds,
        }
        self._client: Any
        with self._errors():
            if self._scheme in CLUSTER_SCHEMES:
                plain = CLUSTER_SCHEMES[self._scheme] + url[len(self._scheme) :]
                self._client = redis.cluster.RedisCluster.from_url(plain, **options)
            else:
                self._client = redis.Redis.from_url(url, **options)
        self._scripts: dict[str, Any] = {}

    def _translate(self, exc: Exception) -> ReconcilerError:
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
        except _DRIVER_ERRORS as exc:
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
        except _DRIVER_ERRORS as exc:
            raise self._translate(exc) from exc

    def _call_once(self, fn: Callable[[], Any], what: str, op_id: str) -> Any:
        """`_call` for a write that `op_id` makes safe to retry: no answer raises
        `OutcomeUnknown` (the command may have been sent, and redis-py also resends it on
        its own after a timeout, so only the op id makes a retry safe)."""
        try:
            return fn()
        except _UNREACHABLE as exc:
            raise OutcomeUnknown(
                f"{self.description} did not answer a {what} "
                f"({type(exc).__name__}: {exc}); it may have been applied: retry with "
                f"op_id={op_id!r}",
                op_id,
            ) from exc
        except _DRIVER_ERRORS as exc:
            raise self._translate(exc) from exc

    def _pipelined(self, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        if len(commands) == 1:  # no pipeline object for the common single read
            return [self._client.execute_command(*commands[0])]
        pipe = self._client.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        result: list[Any] = pipe.execute()
        return result

    @property
    def is_cluster(self) -> bool:
        return self._scheme in CLUSTER_SCHEMES

    def _slots_by_primary(self) -> dict[Any, list[int]]:
        """The hash slots each primary serves, asked of the cluster now (CLUSTER SLOTS), so
        a slot that moved since the client last looked is asked of its new node."""
        ranges = self._call(self._client.cluster_slots)
        owned: dict[Any, list[int]] = {}
        for (first, last), where in sorted(ranges.items()):
            host, port = where["primary"]
            node = self._client.get_node(host=host, port=port)
            if node is None:  # a node the client has not met yet
                self._call(self._client.nodes_manager.initialize)
                node = self._client.get_node(host=host, port=port)
            owned.setdefault(node, []).extend(range(int(first), int(last) + 1))
        return owned

    def ping(self) -> None:
        self._call(self._client.ping)
