"""Entity records read on connections Redis tracks, and a listener that drops changed records
from the in-process cache (server-assisted client-side caching, Redis's two-connection mode).

redis-py's own client-side cache needs RESP3 and Redis 7.4, and serves a hit through its
command path (pool, locks, a deep copy); this keeps a hit to one dict lookup and works from
Redis 6. How it stays correct:

- the listener connection subscribes to `__redis__:invalidate`; every connection that reads
  records runs `CLIENT TRACKING ON REDIRECT <listener id>`, so Redis remembers the keys each
  read and, when any client writes one (a webhook in `serve`, a `sync --all` elsewhere), sends
  the key to the listener, which drops it from the cache (a `FLUSHDB` drops everything);
- a read takes a `RecordCache` ticket first, so an invalidation that overtakes the reply is
  not lost (the reply is then not cached);
- while the listener is disconnected nothing is cached or served from the cache; when it
  reconnects it has a new id, so every reading connection is re-opened with the new redirect.

Only single-node Redis is tracked; on a cluster the store reads without a cache.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import redis
import redis.exceptions

from reconciler.runtime.store.record_cache import RecordCache

INVALIDATE_CHANNEL = "__redis__:invalidate"
POLL_SECONDS = 1.0
RECONNECT_SECONDS = 0.5
_TAG = "_reconciler_redirect"


class TrackedReads:
    """Reads whose keys Redis tracks, and the listener thread applying its invalidations."""

    def __init__(self, pool: redis.ConnectionPool, cache: RecordCache[Any]) -> None:
        self.cache = cache
        self._pool = pool
        self._idle: list[Any] = []
        self._idle_lock = threading.Lock()
        self._redirect: int | None = None
        self._closed = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(
            target=self._listen, name="reconciler-invalidations", daemon=True
        )
        self._thread.start()

    def wait_connected(self, timeout: float) -> bool:
        """True once the listener is subscribed (tests and benchmarks wait for it)."""
        return self._connected.wait(timeout)

    def read(self, commands: Sequence[tuple[Any, ...]]) -> list[Any] | None:
        """The replies to `commands` (read-only, pipelined) sent on a tracked connection, or
        None when nothing is tracked now (the caller reads the usual way, uncached)."""
        redirect = self._redirect
        if redirect is None:
            return None
        conn = self._checkout(redirect)
        try:
            conn.send_packed_command(conn.pack_commands(commands))
            replies = [conn.read_response() for _ in commands]
        except BaseException:
            conn.disconnect()
            raise
        finally:
            with self._idle_lock:
                self._idle.append(conn)
        for reply in replies:
            if isinstance(reply, redis.exceptions.ResponseError):
                raise reply
        return replies

    def _checkout(self, redirect: int) -> Any:
        with self._idle_lock:
            conn = self._idle.pop() if self._idle else self._pool.make_connection()
        if not conn.is_connected or getattr(conn, _TAG, None) != redirect:
            try:
                conn.disconnect()
                conn.connect()
                conn.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", redirect)
                conn.read_response()
            except BaseException:
                conn.disconnect()
                with self._idle_lock:
                    self._idle.append(conn)
                raise
            setattr(conn, _TAG, redirect)
        return conn

    def _listen(self) -> None:
        while not self._closed.is_set():
            conn: Any = self._pool.make_connection()
            try:
                conn.connect()
                # RESP3 delivers a redirected invalidation as an `invalidate` push (handed to
                # this handler); RESP2 as a Pub/Sub message on the channel (returned below).
                parser: Any = getattr(conn, "_parser", None)
                if hasattr(parser, "set_invalidation_push_handler"):
                    parser.set_invalidation_push_handler(self._apply)
                conn.send_command("CLIENT", "ID")
                client_id = int(conn.read_response())
                conn.send_command("SUBSCRIBE", INVALIDATE_CHANNEL)
                conn.read_response(push_request=True)
                self._redirect = client_id
                self.cache.flush(enabled=True)
                self._connected.set()
                while not self._closed.is_set():
                    if conn.can_read(timeout=POLL_SECONDS):
                        self._apply(conn.read_response(push_request=True))
            except (redis.exceptions.RedisError, OSError, ValueError):
                pass
            finally:
                self._connected.clear()
                self._redirect = None
                self.cache.flush(enabled=False)
                conn.disconnect()
            self._closed.wait(RECONNECT_SECONDS)

    def _apply(self, message: Any) -> None:
        # RESP3 ["invalidate", [key, ...]] or RESP2 ["message", "__redis__:invalidate",
        # [key, ...]]; a null key list (FLUSHDB, FLUSHALL): everything.
        if not isinstance(message, list) or not message:
            return
        kind = message[0].decode() if isinstance(message[0], bytes) else message[0]
        if kind == "invalidate" and len(message) == 2:
            keys = message[1]
        elif kind == "message" and len(message) == 3:
            keys = message[2]
        else:
            return
        if keys is None:
            self.cache.flush(enabled=True)
        else:
            self.cache.invalidate(k.decode() if isinstance(k, bytes) else k for k in keys)

    def close(self) -> None:
        # The listener notices within POLL_SECONDS and exits (a daemon thread: not awaited).
        self._closed.set()
        with self._idle_lock:
            for conn in self._idle:
                conn.disconnect()
            self._idle.clear()
