"""One contract for every store: the same tests against real Redis and a SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from reconciler.errors import LimitExceeded, ReconcilerError, StoreUnavailable
from reconciler.runtime.store import EntityRecord, Store, held, keys, open_store
from reconciler.runtime.store.base import LOCK_TTL_SECONDS, StaleRecord, new_op_id
from reconciler.runtime.store.redis_store import mask_url
from reconciler.runtime.store.sqlite_store import SqliteStore
from reconciler.testing import free_port

SUB = {"subscription_id": "sub_1", "status": "active", "price_id": "price_1"}


@pytest.fixture
def store(any_store: Store) -> Store:
    return any_store


def test_customer_mapping_both_ways(store: Store) -> None:
    assert store.get_customer("user_1") is None
    assert store.entity_for_customer("cus_1") is None
    store.set_customer("user_1", "cus_1")
    assert store.get_customer("user_1") == "cus_1"
    assert store.entity_for_customer("cus_1") == "user_1"
    assert store.get_customer("user_2") is None


def test_subscription_cache_round_trips_json(store: Store) -> None:
    assert store.get_subscription("user_1") is None
    store.set_subscription("user_1", {**SUB, "payment_method": {"brand": "visa", "last4": "4242"}})
    assert store.get_subscription("user_1") == {
        **SUB,
        "payment_method": {"brand": "visa", "last4": "4242"},
    }
    store.set_subscription("user_1", {"status": "none"})
    assert store.get_subscription("user_1") == {"status": "none"}


def test_record_reads_customer_and_subscription_together(store: Store) -> None:
    store.set_customer("user_1", "cus_1")
    store.set_subscription("user_1", SUB)
    store.set_customer("user_3", "cus_3")
    assert store.get_record("user_1") == EntityRecord("cus_1", SUB)
    assert store.get_record("nobody") == EntityRecord(None, None)
    records = store.get_records(["user_3", "nobody", "user_1"])
    assert records == [
        EntityRecord("cus_3", None),
        EntityRecord(None, None),
        EntityRecord("cus_1", SUB),
    ]


def test_many_records_in_one_call(store: Store) -> None:
    for i in range(0, 1200, 3):
        store.set_customer(f"e{i}", f"cus_{i}")
    records = store.get_records([f"e{i}" for i in range(1200)])
    assert len(records) == 1200
    assert [r.customer_id for r in records[:4]] == ["cus_0", None, None, "cus_3"]


def test_entity_ids_with_braces_stay_apart(store: Store) -> None:
    store.set_customer("a}b", "cus_x")
    store.set_customer("a", "cus_y")
    assert store.get_customer("a}b") == "cus_x"
    assert store.get_customer("a") == "cus_y"
    assert keys.entity_key("a}b") == "reconciler:v1:{a%7Db}:entity"


def test_claim_is_exclusive_until_released_by_its_token(store: Store) -> None:
    assert store.claim("event:evt_1", "t1", 60) is True
    assert store.claim("event:evt_1", "t2", 60) is False
    assert store.release("event:evt_1", "t2") is False
    assert store.claim("event:evt_1", "t2", 60) is False
    assert store.release("event:evt_1", "t1") is True
    assert store.claim("event:evt_1", "t2", 60) is True


def test_claim_expires(store: Store) -> None:
    assert store.claim("lock:x", "t1", 0.05) is True
    threading.Event().wait(0.2)
    assert store.claim("lock:x", "t2", 60) is True


def test_held_lock_serializes_critical_sections(store: Store) -> None:
    inside = []
    overlaps = []

    def work() -> None:
        for _ in range(5):
            with held(store, "lock:customer:user_1"):
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(1)
                inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []
    assert store.claim("lock:customer:user_1", "free", 1) is True


def test_a_lock_left_by_a_killed_holder_frees_itself_before_waiters_give_up(
    store: Store,
) -> None:
    # A holder killed mid-section never releases: its claim has the default TTL.
    assert store.claim("lock:customer:user_9", "dead-holder", LOCK_TTL_SECONDS) is True
    entered = []
    with held(store, "lock:customer:user_9"):
        entered.append(True)
    assert entered == [True]


def test_consume_counts_up_to_the_limit_then_refuses(store: Store) -> None:
    assert store.consume("user_1", "seats", 1000, 2, 3, 3600) == 2
    assert store.consume("user_1", "seats", 1000, 1, 3, 3600) == 3
    with pytest.raises(LimitExceeded) as caught:
        store.consume("user_1", "seats", 1000, 1, 3, 3600)
    assert (caught.value.used, caught.value.limit, caught.value.amount) == (3, 3, 1)
    assert str(caught.value) == "limit 'seats' exceeded: 3 of 3 used, 1 more requested"
    assert store.usage("user_1", "seats", 1000) == 3


def test_consume_keeps_periods_and_entities_apart(store: Store) -> None:
    store.consume("user_1", "credits", 1000, 5, 10, 3600)
    store.consume("user_1", "credits", 2000, 1, 10, 3600)
    store.consume("user_2", "credits", 1000, 7, 10, 3600)
    assert store.usage("user_1", "credits", 1000) == 5
    assert store.usage("user_1", "credits", 2000) == 1
    assert store.usage("user_2", "credits", 1000) == 7
    assert store.usage("user_3", "credits", 1000) == 0


def test_consume_without_limit_and_bad_amounts(store: Store) -> None:
    assert store.consume("user_1", "calls", 1, 1_000_000, None, 3600) == 1_000_000
    for amount in (0, -1):
        with pytest.raises(ReconcilerError, match="consume amount must be a positive integer"):
            store.consume("user_1", "calls", 1, amount, None, 3600)


def test_refused_consume_leaves_the_counter_unchanged(store: Store) -> None:
    store.consume("user_1", "seats", 1, 4, 5, 3600)
    with pytest.raises(LimitExceeded):
        store.consume("user_1", "seats", 1, 2, 5, 3600)
    assert store.consume("user_1", "seats", 1, 1, 5, 3600) == 5


def test_a_retried_op_id_is_applied_once_and_answers_its_first_total(store: Store) -> None:
    assert store.consume("user_1", "seats", 1, 2, 5, 3600, op_id="op-a") == 2
    assert store.consume("user_1", "seats", 1, 1, 5, 3600, op_id="op-b") == 3
    assert store.consume("user_1", "seats", 1, 2, 5, 3600, op_id="op-a") == 2
    assert store.usage("user_1", "seats", 1) == 3
    # An op id is remembered per counter and period: elsewhere it is a new operation.
    assert store.consume("user_1", "seats", 2, 2, 5, 3600, op_id="op-a") == 2
    assert store.consume("user_1", "calls", 1, 2, 5, 3600, op_id="op-a") == 2
    assert store.consume("user_2", "seats", 1, 2, 5, 3600, op_id="op-a") == 2
    assert store.usage("user_1", "seats", 1) == 3


def test_a_refused_op_id_is_not_remembered(store: Store) -> None:
    store.consume("user_1", "seats", 1, 4, 5, 3600)
    with pytest.raises(LimitExceeded):
        store.consume("user_1", "seats", 1, 2, 5, 3600, op_id="op-big")
    assert store.consume("user_1", "seats", 1, 1, 5, 3600, op_id="op-small") == 5
    with pytest.raises(LimitExceeded):
        store.consume("user_1", "seats", 1, 2, 5, 3600, op_id="op-big")
    # An applied op id answers before the limit and record checks: a retry never refuses.
    assert store.consume("user_1", "seats", 1, 1, 5, 3600, op_id="op-small") == 5


def test_counter_expires_after_its_ttl(store: Store) -> None:
    store.consume("user_1", "seats", 1, 1, 5, 1, op_id="op-1")
    threading.Event().wait(2.2)
    assert store.usage("user_1", "seats", 1) == 0
    # The op ids expire with their counter.
    assert store.consume("user_1", "seats", 1, 2, 5, 1, op_id="op-1") == 2


def test_concurrent_consume_never_passes_the_limit(store: Store) -> None:
    accepted: list[int] = []
    refused: list[int] = []

    def work() -> None:
        for _ in range(100):
            try:
                store.consume("user_1", "credits", 7, 1, 250, 3600)
                accepted.append(1)
            except LimitExceeded:
                refused.append(1)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == 250
    assert len(refused) == 550
    assert store.usage("user_1", "credits", 7) == 250


def test_catalog_cache(store: Store) -> None:
    assert store.get_catalog() is None
    store.set_catalog('{"a": 1}')
    assert store.get_catalog() == '{"a": 1}'


def test_unreachable_redis_is_a_typed_error_without_the_password() -> None:
    url = f"redis://user:s3cret-pass@127.0.0.1:{free_port()}/0"
    store = open_store(url)
    with pytest.raises(StoreUnavailable) as caught:
        store.get_record("user_1")
    message = str(caught.value)
    assert message.startswith(
        f"Redis at redis://user:***@127.0.0.1:{url.rsplit(':', 1)[1]} is unreachable ("
    )
    assert "s3cret-pass" not in message
    assert message.endswith("; check REDIS_URL and that the server is running")


def test_mask_url_without_password_is_unchanged() -> None:
    assert mask_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert mask_url("rediss://:pw@h:1/2") == "rediss://:***@h:1/2"


def test_sqlite_url_whose_folder_is_missing_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "deeper" / "store.sqlite3"
    with pytest.raises(ReconcilerError) as refused:
        open_store(f"sqlite:///{missing}")
    assert str(refused.value) == (
        f"the SQLite store {missing} cannot be opened: its folder {missing.parent} does not "
        "exist (create the folder, or fix REDIS_URL)"
    )
    assert not (tmp_path / "no-such-folder").exists()
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    assert store.description == f"SQLite store at {tmp_path / 'store.sqlite3'}"
    store.close()


def test_unsupported_url_and_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ReconcilerError, match="unsupported store URL scheme 'http'"):
        open_store("http://example.com")
    monkeypatch.chdir(tmp_path)
    store = open_store("")
    assert isinstance(store, SqliteStore)
    assert store.description == "SQLite store at .reconciler/store.sqlite3"
    assert (tmp_path / ".reconciler" / "store.sqlite3").exists()
    store.close()


def test_consume_with_a_token_counts_only_while_the_record_is_unchanged(store: Store) -> None:
    store.set_customer("user_1", "cus_1")
    seen = store.get_record("user_1")
    assert store.consume("user_1", "seats", 1, 1, 5, 3600, expected_token=seen.token) == 1
    store.set_subscription("user_1", SUB)
    with pytest.raises(StaleRecord) as caught:
        store.consume("user_1", "seats", 1, 1, 5, 3600, expected_token=seen.token)
    assert caught.value.record == EntityRecord("cus_1", SUB)
    assert store.usage("user_1", "seats", 1) == 1
    current = caught.value.record
    assert current.token == store.get_record("user_1").token
    assert store.consume("user_1", "seats", 1, 1, 5, 3600, expected_token=current.token) == 2


def test_token_of_an_empty_record_matches_until_something_is_written(store: Store) -> None:
    empty = store.get_record("user_9")
    assert store.consume("user_9", "seats", 1, 1, 5, 3600, expected_token=empty.token) == 1
    store.set_customer("user_9", "cus_9")
    with pytest.raises(StaleRecord):
        store.consume("user_9", "seats", 1, 1, 5, 3600, expected_token=empty.token)


_WORKER = """
import sys
from reconciler.errors import LimitExceeded
from reconciler.runtime.store import open_store
store = open_store(sys.argv[1])
ok = 0
for _ in range(150):
    try:
        store.consume("user_1", "credits", 1, 1, 400, 3600)
        ok += 1
    except LimitExceeded:
        pass
print(ok)
"""


def test_sqlite_file_is_shared_safely_by_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    open_store(url).close()
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, url], stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    accepted = [int(w.communicate(timeout=120)[0]) for w in workers]
    assert sum(accepted) == 400
    store = open_store(url)
    assert store.usage("user_1", "credits", 1) == 400
    store.close()


def test_op_ids_are_unique_in_a_process_and_across_a_fork() -> None:
    ids = {new_op_id() for _ in range(1000)}
    assert len(ids) == 1000
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its ids must not repeat the parent's
        os.write(write, new_op_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 100).decode()
    os.close(read)
    parent = new_op_id()
    assert child.split("-")[0] != parent.split("-")[0]
    assert child not in ids
