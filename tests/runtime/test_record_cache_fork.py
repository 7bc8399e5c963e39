"""The record cache across `fork()` (gunicorn `--preload`, multiprocessing's "fork" context,
celery prefork): a child made after the store was used keeps its cache true with a listener of
its own, never touches the parent's sockets or SQLite connections, and leaves the parent's
cache working."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from reconciler.runtime.store import EntityRecord, keys, open_store
from reconciler.runtime.store.record_cache import RecordCache
from reconciler.runtime.store.redis_store import RedisStore
from reconciler.runtime.store.redis_tracking import TrackedReads
from reconciler.runtime.store.sqlite_store import SqliteStore
from reconciler.testing import eventually
from tests.runtime.conftest import hmget_calls

SUB = {"subscription_id": "sub_1", "status": "active", "price_id": "price_1"}
CANCELED = {**SUB, "status": "canceled"}
CHILD_BOUND_SECONDS = 60  # a child that hangs (a lock held for good) is killed, and fails


class Forked:
    """A child process running `body(say)`, where `say(text)` sends the parent one line;
    the child's last line is a JSON report, or the exception that ended it."""

    def __init__(self, body: Callable[[Callable[[str], None]], dict[str, Any]]) -> None:
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into pytest
            code = 1
            try:
                os.close(read)
                signal.alarm(CHILD_BOUND_SECONDS)
                say = _writer(write)
                try:
                    say(json.dumps(body(say)))
                    code = 0
                except BaseException as exc:
                    say(f"{type(exc).__name__}: {exc}")
            finally:
                os._exit(code)
        os.close(write)
        self._lines = os.fdopen(read, "r")

    def hear(self) -> str:
        """The child's next line ('' when it exited without one)."""
        return self._lines.readline().rstrip("\n")

    def finish(self) -> tuple[int, Any]:
        """The child's exit code and its report (or the last line it said, if not one)."""
        last = ""
        for line in self._lines:
            last = line.rstrip("\n")
        self._lines.close()
        _, status = os.waitpid(self.pid, 0)
        try:
            return os.waitstatus_to_exitcode(status), json.loads(last)
        except json.JSONDecodeError:
            return os.waitstatus_to_exitcode(status), last


def _writer(fd: int) -> Callable[[str], None]:
    def say(text: str) -> None:
        os.write(fd, (text + "\n").encode())

    return say


def test_a_forked_child_listens_itself_and_leaves_the_parents_sockets(
    reader: RedisStore, redis_url: str
) -> None:
    reader.set_subscription("user_1", SUB)
    assert reader.get_record("user_1").subscription == SUB
    tracking = reader.tracking
    assert isinstance(tracking, TrackedReads) and len(reader.record_cache) == 1
    reading, listener = tracking._idle[0], tracking._listener
    subscription = tracking._subscription
    assert listener is not None and reading.is_connected and listener.is_connected

    def child(say: Callable[[str], None]) -> dict[str, Any]:
        assert tracking is not None
        inherited = {
            "cached": len(reader.record_cache),
            "enabled": reader.record_cache.enabled,
            "parent_sockets_open_here": [reading.is_connected, listener.is_connected],
        }
        first = reader.get_record("user_1").subscription  # from Redis; starts the listener
        assert tracking.wait_connected(30.0)
        second = reader.get_record("user_1").subscription  # on a connection of its own
        cached = len(reader.record_cache)
        say("cached")
        eventually(lambda: reader.get_record("user_1").subscription == CANCELED, timeout=30)
        return {
            **inherited,
            "first": first,
            "second": second,
            "cached_after_subscribing": cached,
            "own_reading_connections": [c.pid == os.getpid() for c in tracking._idle],
        }

    forked = Forked(child)
    assert forked.hear() == "cached"
    writer = open_store(redis_url, record_cache=False)
    writer.set_subscription("user_1", CANCELED)
    writer.close()
    assert forked.finish() == (
        0,
        {
            "cached": 0,
            "enabled": False,
            "parent_sockets_open_here": [False, False],
            "first": SUB,
            "second": SUB,
            "cached_after_subscribing": 1,
            "own_reading_connections": [True],
        },
    )
    # The parent's listener heard the same write on the socket it had before the fork, and
    # its reading connection still answers: the child sent nothing on them and shut
    # neither down (either would have made the listener reconnect, a new subscription).
    eventually(lambda: reader.get_record("user_1").subscription == CANCELED)
    assert tracking._subscription == subscription
    assert tracking._idle == [reading] and tracking._listener is listener
    before = hmget_calls(redis_url)
    assert reader.get_record("user_1") == EntityRecord(None, CANCELED)
    assert hmget_calls(redis_url) == before


def _gunicorn_style_worker(store: RedisStore, url: str, results: Any) -> None:
    """A worker forked after the app (and its store) was loaded: it serves entitlements."""
    served = store.get_subscription("user_1")
    results.put(("served", served))
    redis.Redis.from_url(url).hset(keys.entity_key("user_1"), "customer", "cus_2")
    eventually(lambda: store.get_customer("user_1") == "cus_2", timeout=30)
    results.put(("seen", store.get_customer("user_1")))


def test_a_multiprocessing_fork_worker_sees_writes_made_after_the_fork(
    reader: RedisStore, redis_url: str
) -> None:
    reader.set_customer("user_1", "cus_1")
    reader.set_subscription("user_1", SUB)
    assert reader.get_customer("user_1") == "cus_1"  # cached before the fork
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    worker = context.Process(target=_gunicorn_style_worker, args=(reader, redis_url, results))
    worker.start()
    got = [results.get(timeout=CHILD_BOUND_SECONDS) for _ in range(2)]
    worker.join()
    assert worker.exitcode == 0
    assert got == [("served", SUB), ("seen", "cus_2")]
    eventually(lambda: reader.get_customer("user_1") == "cus_2")


def test_a_cache_lock_held_by_another_thread_at_the_fork_does_not_block_the_child() -> None:
    cache: RecordCache[str] = RecordCache()
    cache.flush(enabled=True)
    cache.put("k", "parent's", cache.begin("k"))
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with cache._lock:
            held.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()

    def child(say: Callable[[str], None]) -> dict[str, Any]:
        inherited = (cache.get("k"), cache.enabled)
        cache.flush(enabled=True)
        cache.put("k", "child's", cache.begin("k"))
        return {"inherited": list(inherited), "now": cache.get("k")}

    try:
        forked = Forked(child)
    finally:
        release.set()
        holder.join()
    assert forked.finish() == (0, {"inherited": [None, False], "now": "child's"})
    assert cache.get("k") == "parent's" and cache.enabled


def test_sqlite_a_forked_child_opens_its_own_connection_and_sees_later_writes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.sqlite3"
    store = SqliteStore(path)
    store.set_subscription("user_1", SUB)
    assert store.get_record("user_1").subscription == SUB
    assert len(store.record_cache) == 1
    parent_conn = store._conn()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:  # another thread holds the store's lock at the moment of the fork
        with store._lock:
            held.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()

    def child(say: Callable[[str], None]) -> dict[str, Any]:
        inherited = len(store.record_cache)
        first = store.get_record("user_1").subscription
        own = store._conn() is not parent_conn
        say("read")
        eventually(lambda: store.get_record("user_1").subscription == CANCELED, timeout=30)
        return {"inherited": inherited, "first": first, "own_connection": own}

    try:
        forked = Forked(child)
    finally:
        release.set()
        holder.join()
    assert forked.hear() == "read"
    writer = SqliteStore(path)
    writer.set_subscription("user_1", CANCELED)
    writer.close()
    assert forked.finish() == (
        0,
        {"inherited": 0, "first": SUB, "own_connection": True},
    )
    # The parent's connection was not closed under it, and its cache still works.
    assert store._conn() is parent_conn
    assert store.get_record("user_1").subscription == CANCELED
    assert len(store.record_cache) == 1
    store.close()
