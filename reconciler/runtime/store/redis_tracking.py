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
- while the listener is disconnected nothing is cached or served from the cache (it is
  flushed when the channel is lost, or has answered no PING for `SILENCE_SECONDS`, and
  re-enabled once the listener has re-subscribed); each
  subscription starts a new generation, and reading connections of an earlier one are
  re-opened with the new redirect (a restarted server numbers clients from 1 again, so the
  listener's id alone could match a dead one's);
- Redis forgets the keys a reading connection tracked when that connection goes away, and
  tells nobody (redis/redis#11767, #13082): so losing a reading connection flushes the cache
  too, whether a read on it fails, it is found dead at checkout, or the listener's sweep of
  the idle ones (each `POLL_SECONDS`) finds it closed.

The listener and the reading connections are built from the pool's connection class and
settings but are not the pool's: the pool's `max_connections` (100 by default) counts every
connection it ever made until that one is released to it, so taking them from it would spend
its capacity (redis/redis-py#1247). Reconnect attempts back off (`RECONNECT_POLICY`); the wait
between them is injectable, so tests drive many attempts without sleeping.

After `fork()` the child has no listener (threads do not survive a fork) and holds copies of
the parent's sockets: it drops them unused and starts a listener of its own on its first
read (`after_fork_in_child`); its cache is off until that listener has subscribed.

On Redis Cluster each primary gets one of these (`redis_cluster_tracking.py`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import redis

from reconciler.retry import RetryPolicy
from reconciler.runtime.store.after_fork import renew_after_fork

INVALIDATE_CHANNEL = "__redis__:invalidate"
POLL_SECONDS = 1.0
SILENCE_SECONDS = 3 * POLL_SECONDS  # no word from Redis this long: the listener is cut off
# The project's one backoff (exponential, full jitter): after the n-th failed attempt in a
# row, a random wait of at most min(5, 0.1 * 2 ** (n - 1)) seconds. The listener never gives
# up: the cache stays off until it is back.
RECONNECT_POLICY = RetryPolicy(base_delay=0.1, max_delay=5.0)
_MAX_EXPONENT = 16  # 0.1 * 2 ** 15 is well past max_delay; keeps 2 ** n a small number
_GENERATION = "_reconciler_generation"  # attribute on a reading connection: tracked for which
log = logging.getLogger("reconciler.store")

Wait = Callable[[float], object]


class Invalidated(Protocol):
    """What the listener keeps true: a `RecordCache`, or on a cluster one node's share of
    the cluster's cache (`redis_cluster_tracking`)."""

    def invalidate(self, keys: Iterable[str]) -> None: ...

    def flush(self, enabled: bool | None = None) -> None: ...


class TrackedReads:
    """Reads whose keys Redis tracks, and the listener thread applying its invalidations.

    `wait(seconds)` is how the listener waits between reconnect attempts (default: that long,
    cut short by `close`); `reconnect` chooses how long."""

    def __init__(
        self,
        pool: redis.ConnectionPool,
        cache: Invalidated,
        reconnect: RetryPolicy = RECONNECT_POLICY,
        wait: Wait | None = None,
    ) -> None:
        self.cache = cache
        self._pool = pool
        self._reconnect = reconnect
        self._given_wait = wait
        self._idle: list[Any] = []
        self._idle_lock = threading.Lock()
        # (generation, listener client id) while subscribed, None otherwise: one attribute,
        # so a reader never pairs one subscription's generation with another's id.
        self._subscription: tuple[int, int] | None = None
        self._generations = 0
        self._closed = threading.Event()
        self._connected = threading.Event()
        self._wait: Wait = wait if wait is not None else self._closed.wait
        self._listener: Any | None = None  # the listener's connection while it has one
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        renew_after_fork(self)
        self.listen()

    def listen(self) -> None:
        """Start the listener unless it runs (or the store is closed): when made, and in a
        forked child on its first uncached read."""
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(
                    target=self._listen, name="reconciler-invalidations", daemon=True
                )
                self._thread.start()

    def wait_connected(self, timeout: float) -> bool:
        """True once the listener is subscribed (tests and benchmarks wait for it); starts
        it when it has not started (a forked child before its first read)."""
        self.listen()
        return self._connected.wait(timeout)

    def after_fork_in_child(self) -> None:
        """In a forked child: the listener thread stayed in the parent, and the listener's
        connection and the idle reading ones are the parent's sockets, of which this process
        holds copies of the descriptors. Close the copies without a word on the sockets
        (nothing sent, not even QUIT: the parent still uses them; redis-py's `disconnect`
        shuts a socket down only in the process that opened it, redis/redis-py#863), forget
        the subscription, and renew the locks and events (another thread may have held
        them at the fork). The cache stays off (`RecordCache.after_fork_in_child`) until
        this process's own listener, started by `listen` on first use, has subscribed."""
        inherited = [*self._idle, self._listener]
        closed = self._closed.is_set()
        self._closed = threading.Event()
        if closed:
            self._closed.set()
        self._connected = threading.Event()
        self._wait = self._given_wait if self._given_wait is not None else self._closed.wait
        self._idle_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._idle = []
        self._listener = None
        self._subscription = None
        self._thread = None
        for conn in inherited:
            if conn is not None:
                conn.disconnect()

    def _new_connection(self) -> Any:
        """A connection as the pool would make it, but not counted against its capacity."""
        return self._pool.connection_class(**self._pool.connection_kwargs)

    def read(self, commands: Sequence[tuple[Any, ...]]) -> list[Any] | None:
        """The replies to `commands` (read-only, pipelined) sent on a tracked connection, or
        None when nothing is tracked now (the caller reads the usual way, uncached)."""
        subscription = self._subscription
        if subscription is None:
            return None
        conn = self._checkout(*subscription)
        if conn is None:
            return None
        try:
            conn.send_packed_command(conn.pack_commands(commands))
            replies = [conn.read_response() for _ in commands]
        except BaseException:
            self._lose(conn)
            raise
        finally:
            self._give_back(conn)
        for reply in replies:
            if isinstance(reply, redis.exceptions.ResponseError):
                raise reply
        return replies

    def _checkout(self, generation: int, redirect: int) -> Any | None:
        """A connection tracking for this subscription, or None when Redis refuses the
        redirect (the listener is gone: the caller reads uncached)."""
        with self._idle_lock:
            conn = self._idle.pop() if self._idle else self._new_connection()
        if getattr(conn, _GENERATION, None) == generation:
            if _alive(conn):
                return conn
            self._lose(conn)
        try:
            conn.disconnect()
            conn.connect()
            conn.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", redirect)
            conn.read_response()
        except redis.exceptions.ResponseError:
            conn.disconnect()
            self._give_back(conn)
            return None
        except BaseException:
            conn.disconnect()
            self._give_back(conn)
            raise
        setattr(conn, _GENERATION, generation)
        return conn

    def _give_back(self, conn: Any) -> None:
        with self._idle_lock:
            if self._closed.is_set():
                conn.disconnect()
            else:
                self._idle.append(conn)

    def _lose(self, conn: Any) -> None:
        """Close a reading connection; if it tracked keys of the current subscription, Redis
        no longer reports them, so nothing cached may be trusted."""
        tracked = getattr(conn, _GENERATION, None)
        setattr(conn, _GENERATION, None)
        conn.disconnect()
        subscription = self._subscription
        if tracked is not None and subscription is not None and tracked == subscription[0]:
            self.cache.flush()

    def _sweep_idle(self) -> None:
        """Close idle reading connections the server closed (killed, idle timeout)."""
        with self._idle_lock:
            lost = [c for c in self._idle if c.is_connected and not _alive(c)]
            self._idle = [c for c in self._idle if c not in lost]
        for conn in lost:
            self._lose(conn)

    def _listen(self) -> None:
        failures = 0
        while not self._closed.is_set():
            conn = self._listener = self._new_connection()
            try:
                self._subscribe(conn)
                if failures:
                    log.info("record cache: invalidation channel back after %d attempts", failures)
                failures = 0
                self._serve(conn)
            except Exception as exc:  # the listener must outlive any failure
                failures += 1
                # A store closed while its server goes away (a shutdown) has lost nothing.
                if failures == 1 and not self._closed.is_set():
                    log.warning(
                        "record cache off: invalidation channel lost (%s: %s); reconnecting",
                        type(exc).__name__,
                        exc,
                    )
            finally:
                self._connected.clear()
                self._subscription = None
                self.cache.flush(enabled=False)
                self._listener = None
                conn.disconnect()
            if not self._closed.is_set():
                self._wait(self._reconnect.delay(min(max(failures, 1), _MAX_EXPONENT)))

    def _subscribe(self, conn: Any) -> None:
        conn.connect()
        # RESP3 delivers a redirected invalidation as an `invalidate` push (handed to this
        # handler); RESP2 as a Pub/Sub message on the channel (returned by read_response).
        parser: Any = getattr(conn, "_parser", None)
        if hasattr(parser, "set_invalidation_push_handler"):
            parser.set_invalidation_push_handler(self._apply)
        conn.send_command("CLIENT", "ID")
        client_id = int(conn.read_response())
        conn.send_command("SUBSCRIBE", INVALIDATE_CHANNEL)
        conn.read_response(push_request=True)
        self._generations += 1
        self.cache.flush(enabled=True)
        self._subscription = (self._generations, client_id)
        self._connected.set()

    def _serve(self, conn: Any) -> None:
        """Apply invalidations until closed (returns) or the connection fails (raises). A
        connection can die without the server closing it (a partition, a frozen host): after
        a quiet second the listener sends PING, and when nothing at all comes back for
        `SILENCE_SECONDS` it gives the connection up, as Redis's client-side caching guide
        advises for the invalidation connection."""
        heard = next_sweep = time.monotonic()
        pinged = False
        while not self._closed.is_set():
            if conn.can_read(timeout=POLL_SECONDS):
                self._apply(conn.read_response(push_request=True))
                heard, pinged = time.monotonic(), False
            now = time.monotonic()
            if now - heard >= SILENCE_SECONDS:
                raise redis.exceptions.ConnectionError(
                    f"no answer to PING for {SILENCE_SECONDS:.0f} s"
                )
            if not pinged and now - heard >= POLL_SECONDS:
                conn.send_command("PING")
                pinged = True
            if now >= next_sweep:
                self._sweep_idle()
                next_sweep = now + POLL_SECONDS

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
            self.cache.flush()
        else:
            self.cache.invalidate(k.decode() if isinstance(k, bytes) else k for k in keys)

    def close(self) -> None:
        # The listener notices within POLL_SECONDS, or when its wait returns, and exits (a
        # daemon thread: not awaited).
        self._closed.set()
        with self._idle_lock:
            for conn in self._idle:
                conn.disconnect()
            self._idle.clear()


def _alive(conn: Any) -> bool:
    """False when a connection that should be silent has something to read: the server
    closed it, or (RESP3) told it its redirect broke. (redis-py's `can_read` would connect a
    closed one: a connection Redis does not track.)"""
    if not conn.is_connected:
        return False
    try:
        return not conn.can_read(timeout=0)
    except (redis.exceptions.RedisError, OSError):
        return False
