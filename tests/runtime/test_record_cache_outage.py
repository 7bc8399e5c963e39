"""The record cache across a Redis outage and a restart (a real redis-server of the test's own,
stopped and started again on the same port), and when a reading connection is lost."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from reconciler import StoreUnavailable
from reconciler.runtime.store import keys
from reconciler.runtime.store.redis_store import RedisStore
from reconciler.runtime.store.redis_tracking import RECONNECT_POLICY, TrackedReads
from reconciler.testing import eventually, redis_process


class RestartableRedis:
    """A redis-server that a test stops and starts again on the same port (empty again: no
    persistence, as a crashed cache server would come back)."""

    def __init__(self, url: str, process: subprocess.Popen[bytes], workdir: str) -> None:
        self.url = url
        self.port = url.rsplit(":", 1)[1].split("/", 1)[0]
        self.process = process
        self.workdir = workdir

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        args = [binary, "--port", self.port, "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", self.workdir]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        eventually(self._answers, timeout=10)

    def _answers(self) -> bool:
        assert self.process.poll() is None, "redis-server did not start again on its port"
        try:
            return bool(redis.Redis.from_url(self.url).ping())
        except redis.exceptions.ConnectionError:
            return False


@pytest.fixture
def restartable(tmp_path: Any) -> Iterator[RestartableRedis]:
    with redis_process() as (url, process):
        server = RestartableRedis(url, process, str(tmp_path))
        try:
            yield server
        finally:
            if server.process is not process:
                server.stop()


class DrivenWait:
    """The listener's wait between reconnect attempts, driven by the test instead of the
    clock: it records each delay asked for and returns at once, except that from the
    `hold_at`-th wait on it holds the listener until `release()`."""

    def __init__(self, hold_at: int) -> None:
        self.delays: list[float] = []
        self.hold_at = hold_at
        self._released = threading.Event()

    def __call__(self, seconds: float) -> bool:
        self.delays.append(seconds)
        if len(self.delays) >= self.hold_at:
            self._released.wait()
        return False

    def release(self) -> None:
        self._released.set()


def pool_connections(store: RedisStore) -> int:
    # The count redis-py checks `max_connections` against: every connection the pool made,
    # until it is released to it (no public accessor; redis/redis-py#1247).
    count: int = store._client.connection_pool._created_connections
    return count


def subscribers(admin: redis.Redis) -> int:
    return sum(1 for c in admin.client_list() if "P" in c["flags"])


def test_an_outage_spends_no_pool_connection_and_the_cache_resumes_after_a_restart(
    restartable: RestartableRedis,
) -> None:
    reader_pool_size = 100  # redis-py's default max_connections
    attempts = reader_pool_size + 50  # the old listener died at the 100th
    wait = DrivenWait(hold_at=attempts)
    reader = RedisStore(restartable.url, reconnect_wait=wait)
    try:
        assert reader._client.connection_pool.max_connections == reader_pool_size
        assert reader.tracking is not None and reader.tracking.wait_connected(5.0)
        reader.set_customer("user_1", "cus_1")
        assert reader.get_customer("user_1") == "cus_1"
        assert len(reader.record_cache) == 1
        assert pool_connections(reader) == 1

        restartable.stop()
        eventually(lambda: len(wait.delays) >= attempts)
        assert pool_connections(reader) == 1
        assert all(0.0 <= d <= RECONNECT_POLICY.max_delay for d in wait.delays)
        # During the outage the cached copy is gone and the read goes to Redis, which fails.
        assert not reader.record_cache.enabled and len(reader.record_cache) == 0
        with pytest.raises(StoreUnavailable) as unreachable:
            reader.get_customer("user_1")
        host = f"127.0.0.1:{restartable.port}"
        assert str(unreachable.value) == (
            f"Redis at {restartable.url} is unreachable (ConnectionError: Error 111 connecting "
            f"to {host}. Connection refused.); check REDIS_URL and that the server is running"
        )

        restartable.start()
        admin = redis.Redis.from_url(restartable.url)
        # Back, but the listener has not re-subscribed yet (held): reads are not cached, and
        # see what the restarted server holds, not the copy from before the outage.
        assert reader.get_customer("user_1") is None
        admin.hset(keys.entity_key("user_1"), "customer", "cus_2")
        assert reader.get_customer("user_1") == "cus_2"
        assert len(reader.record_cache) == 0 and not reader.tracking.wait_connected(0)

        wait.release()
        assert reader.tracking.wait_connected(5.0)
        assert reader.record_cache.enabled
        assert reader.get_customer("user_1") == "cus_2"
        assert len(reader.record_cache) == 1
        # A write by another client after the restart reaches the reader's copy.
        admin.hset(keys.entity_key("user_1"), "customer", "cus_3")
        eventually(lambda: reader.get_customer("user_1") == "cus_3")
        assert subscribers(admin) == 1
        assert pool_connections(reader) == 1
        reader.ping()
        admin.close()
    finally:
        wait.release()
        reader.close()


def test_a_lost_reading_connection_empties_the_cache(restartable: RestartableRedis) -> None:
    """Redis forgets what a tracking connection read when it goes away, without telling the
    listener: the cache must not keep what that connection read. (A server of the test's
    own, so the reader's listener is its only subscriber.)"""
    admin = redis.Redis.from_url(restartable.url)
    reader = RedisStore(restartable.url)
    try:
        assert reader.tracking is not None and reader.tracking.wait_connected(5.0)
        reader.set_customer("user_1", "cus_1")
        assert reader.get_customer("user_1") == "cus_1"
        assert len(reader.record_cache) == 1
        assert subscribers(admin) == 1
        redirect = str(next(c["id"] for c in admin.client_list() if "P" in c["flags"]))
        tracking = [c["id"] for c in admin.client_list() if c["redir"] == redirect]
        assert len(tracking) == 1
        admin.client_kill_filter(_id=tracking[0])
        admin.hset(keys.entity_key("user_1"), "customer", "cus_2")
        eventually(lambda: reader.get_customer("user_1") == "cus_2")
        # Cached again, on a new tracked connection that reports the next write.
        eventually(
            lambda: reader.get_customer("user_1") == "cus_2" and len(reader.record_cache) == 1
        )
        admin.hset(keys.entity_key("user_1"), "customer", "cus_3")
        eventually(lambda: reader.get_customer("user_1") == "cus_3")
    finally:
        reader.close()
        admin.close()


def test_a_frozen_server_turns_the_cache_off_until_it_answers_again(
    restartable: RestartableRedis,
) -> None:
    """A listener connection that dies without being closed (SIGSTOP stands in for a
    partition) is noticed by its unanswered PING, so the cache is not trusted meanwhile."""
    admin = redis.Redis.from_url(restartable.url)
    reader = RedisStore(restartable.url)
    pid = restartable.process.pid
    try:
        assert reader.tracking is not None and reader.tracking.wait_connected(5.0)
        reader.set_customer("user_1", "cus_1")
        assert reader.get_customer("user_1") == "cus_1"
        assert len(reader.record_cache) == 1
        os.kill(pid, signal.SIGSTOP)
        try:
            eventually(lambda: not reader.record_cache.enabled, timeout=30)
            assert len(reader.record_cache) == 0
        finally:
            os.kill(pid, signal.SIGCONT)
        assert reader.tracking.wait_connected(30)
        assert reader.get_customer("user_1") == "cus_1"
        assert len(reader.record_cache) == 1
        admin.hset(keys.entity_key("user_1"), "customer", "cus_2")
        eventually(lambda: reader.get_customer("user_1") == "cus_2")
    finally:
        reader.close()
        admin.close()


def test_a_store_closed_before_its_server_stops_logs_no_lost_channel(
    restartable: RestartableRedis, caplog: pytest.LogCaptureFixture
) -> None:
    reader = RedisStore(restartable.url)
    assert isinstance(reader.tracking, TrackedReads) and reader.tracking.wait_connected(5.0)
    listener = reader.tracking._thread
    assert listener is not None
    with caplog.at_level("INFO", logger="reconciler.store"):
        reader.close()
        restartable.stop()  # within the listener's poll second: its read fails
        listener.join(timeout=10)
    assert not listener.is_alive()
    assert [r.getMessage() for r in caplog.records] == []
