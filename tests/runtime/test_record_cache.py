"""The in-process record cache: the pure ticket rules, and invalidation by real Redis
(client tracking) and by the SQLite version row, across store instances and processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import redis

from reconciler.runtime.store import EntityRecord, keys, open_store, record_cache_enabled
from reconciler.runtime.store.record_cache import RecordCache
from reconciler.runtime.store.redis_store import RedisStore
from reconciler.runtime.store.sqlite_store import SqliteStore
from reconciler.testing import eventually
from tests.runtime.conftest import hmget_calls

SUB = {"subscription_id": "sub_1", "status": "active", "price_id": "price_1"}


# The pure rules ------------------------------------------------------------------------


def test_a_read_overtaken_by_an_invalidation_is_not_stored() -> None:
    cache: RecordCache[str] = RecordCache()
    cache.flush(enabled=True)
    ticket = cache.begin("k")
    cache.invalidate(["k"])
    cache.put("k", "stale", ticket)
    assert cache.get("k") is None
    cache.put("k", "fresh", cache.begin("k"))
    assert cache.get("k") == "fresh"


def test_a_read_started_after_an_invalidation_is_stored_even_if_an_older_one_is_not() -> None:
    cache: RecordCache[str] = RecordCache()
    cache.flush(enabled=True)
    old = cache.begin("k")
    cache.invalidate(["k"])
    new = cache.begin("k")
    cache.put("k", "old", old)
    assert cache.get("k") is None
    cache.put("k", "new", new)
    assert cache.get("k") == "new"


def test_invalidating_other_keys_does_not_refuse_a_read() -> None:
    cache: RecordCache[str] = RecordCache()
    cache.flush(enabled=True)
    ticket = cache.begin("k")
    cache.invalidate(["other"])
    cache.put("k", "v", ticket)
    assert cache.get("k") == "v"


def test_a_flush_refuses_reads_under_way_and_disabled_stores_nothing() -> None:
    cache: RecordCache[str] = RecordCache()
    cache.put("k", "v", cache.begin("k"))
    assert cache.get("k") is None  # not enabled yet
    cache.flush(enabled=True)
    ticket = cache.begin("k")
    cache.flush(enabled=True)
    cache.put("k", "v", ticket)
    assert cache.get("k") is None


def test_a_flush_without_a_switch_keeps_the_cache_on_or_off() -> None:
    cache: RecordCache[str] = RecordCache()
    cache.flush()
    cache.put("k", "v", cache.begin("k"))
    assert cache.get("k") is None and cache.enabled is False
    cache.flush(enabled=True)
    ticket = cache.begin("k")
    cache.put("k", "v", cache.begin("k"))
    cache.flush()
    cache.put("k", "v", ticket)
    assert cache.get("k") is None and cache.enabled is True
    cache.put("k", "v", cache.begin("k"))
    assert cache.get("k") == "v"


def test_memory_is_bounded_oldest_first() -> None:
    cache: RecordCache[int] = RecordCache(max_entries=3)
    cache.flush(enabled=True)
    for i in range(5):
        cache.put(f"k{i}", i, cache.begin(f"k{i}"))
    assert len(cache) == 3
    assert [cache.get(f"k{i}") for i in range(5)] == [None, None, 2, 3, 4]


def test_the_switch_reads_off_values() -> None:
    assert record_cache_enabled({}) is True
    assert record_cache_enabled({"RECONCILER_RECORD_CACHE": "on"}) is True
    for off in ("off", "0", "false", "NO"):
        assert record_cache_enabled({"RECONCILER_RECORD_CACHE": off}) is False


# Redis -----------------------------------------------------------------------------------


def test_a_cached_record_is_served_without_a_round_trip(reader: RedisStore, redis_url: str) -> None:
    reader.set_customer("user_1", "cus_1")
    reader.set_subscription("user_1", SUB)
    assert reader.get_record("user_1") == EntityRecord("cus_1", SUB)
    before = hmget_calls(redis_url)
    for _ in range(50):
        assert reader.get_record("user_1") == EntityRecord("cus_1", SUB)
    assert reader.get_customer("user_1") == "cus_1"
    assert hmget_calls(redis_url) == before


def test_a_write_by_another_client_invalidates_the_copy(reader: RedisStore, redis_url: str) -> None:
    writer = open_store(redis_url, record_cache=False)
    writer.set_subscription("user_1", SUB)
    assert reader.get_subscription("user_1") == SUB
    writer.set_subscription("user_1", {**SUB, "status": "canceled"})
    eventually(lambda: reader.get_record("user_1").subscription != SUB)
    assert reader.get_subscription("user_1") == {**SUB, "status": "canceled"}
    # A raw write that bypasses the tool is reported by Redis all the same.
    redis.Redis.from_url(redis_url).hset(keys.entity_key("user_1"), "customer", "cus_9")
    eventually(lambda: reader.get_customer("user_1") == "cus_9")
    writer.close()


def test_a_write_by_another_process_invalidates_the_copy(
    reader: RedisStore, redis_url: str
) -> None:
    reader.set_subscription("user_1", SUB)
    assert reader.get_record("user_1").subscription == SUB
    script = (
        "import sys; from reconciler.runtime.store import open_store; "
        "s = open_store(sys.argv[1], record_cache=False); "
        "s.set_subscription('user_1', {'status': 'none'}); s.close()"
    )
    subprocess.run([sys.executable, "-c", script, redis_url], check=True)
    eventually(lambda: reader.get_subscription("user_1") == {"status": "none"})


def test_flushdb_empties_the_cache(reader: RedisStore, redis_url: str) -> None:
    reader.set_customer("user_1", "cus_1")
    assert reader.get_customer("user_1") == "cus_1"
    redis.Redis.from_url(redis_url).flushdb()
    eventually(lambda: reader.get_customer("user_1") is None)


def test_a_lost_invalidation_channel_stops_the_cache_until_it_is_back(
    reader: RedisStore, redis_url: str
) -> None:
    reader.set_customer("user_1", "cus_1")
    assert reader.get_customer("user_1") == "cus_1"
    assert len(reader.record_cache) == 1
    admin = redis.Redis.from_url(redis_url)
    admin.client_kill_filter(_type="pubsub")
    eventually(lambda: not reader.record_cache.enabled or len(reader.record_cache) == 0)
    assert len(reader.record_cache) == 0
    admin.hset(keys.entity_key("user_1"), "customer", "cus_2")
    assert reader.get_customer("user_1") == "cus_2"
    assert reader.tracking is not None and reader.tracking.wait_connected(5.0)
    eventually(lambda: reader.record_cache.enabled)
    admin.hset(keys.entity_key("user_1"), "customer", "cus_3")
    eventually(lambda: reader.get_customer("user_1") == "cus_3")


def test_the_switch_turns_the_cache_off(redis_url: str, tmp_path: Path) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    off = open_store(redis_url, record_cache=False)
    assert isinstance(off, RedisStore) and off.tracking is None
    off.set_customer("user_1", "cus_1")
    before = hmget_calls(redis_url)
    assert off.get_customer("user_1") == "cus_1"
    assert off.get_customer("user_1") == "cus_1"
    assert hmget_calls(redis_url) == before + 2
    off.close()
    lite = open_store(f"sqlite:///{tmp_path / 's.sqlite3'}", record_cache=False)
    assert isinstance(lite, SqliteStore)
    lite.set_customer("user_1", "cus_1")
    assert lite.get_record("user_1").customer_id == "cus_1"
    assert len(lite.record_cache) == 0
    lite.close()


# SQLite ----------------------------------------------------------------------------------


def test_sqlite_a_write_by_another_store_on_the_file_empties_the_copy(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    reader, writer = SqliteStore(path), SqliteStore(path)
    writer.set_subscription("user_1", SUB)
    assert reader.get_record("user_1").subscription == SUB
    assert len(reader.record_cache) == 1
    assert reader.get_record("user_1").subscription == SUB
    writer.set_subscription("user_1", {"status": "none"})
    assert reader.get_record("user_1").subscription == {"status": "none"}
    writer.set_customer("user_1", "cus_1")
    assert reader.get_customer("user_1") == "cus_1"
    assert reader.get_record("user_1") == EntityRecord("cus_1", {"status": "none"})
    reader.close()
    writer.close()
