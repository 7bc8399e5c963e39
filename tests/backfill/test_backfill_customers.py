"""`backfill customers` on the emulator and a real Redis: idempotent reruns, adoption of
existing customers in one list pass, 429 storms and 5xx with nothing lost, client errors
reported, and the CLI's handling of bad input."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import stripe

from reconciler.backfill.customers import run_backfill
from reconciler.backfill.inputs import parse_input
from reconciler.backfill.shard import Shard
from reconciler.cli import main
from reconciler.runtime.store import Store
from reconciler.testing import EmulatorControl
from tests.backfill.conftest import all_customers, entity_ids, make_caller


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ids(count: int, prefix: str = "user-") -> list[str]:
    return [f"{prefix}{i}" for i in range(count)]


def test_backfill_then_rerun_makes_no_request(
    cli_env: dict[str, str],
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(ids(30)) + "\n")
    report_path = tmp_path / "report.json"
    args = ["backfill", "customers", "--input", str(source), "--rate", "500", "--format", "json"]
    code, out, _ = run_cli([*args, "--report", str(report_path)], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary == json.loads(report_path.read_text())
    assert summary["counts"] == {
        "created": 30,
        "matched": 0,
        "adopted": 0,
        "skipped": 0,
        "failed": 0,
    }
    assert summary["requests"] == 31
    assert emulator.counters()["by_route"] == {"GET /v1/customers": 1, "POST /v1/customers": 30}
    customers = all_customers(stripe_client)
    assert entity_ids(customers) == sorted(ids(30))
    for customer in customers:
        assert store.get_customer(customer["metadata"]["entityId"]) == customer["id"]

    emulator.reset_counters()
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    assert json.loads(out)["counts"] == {
        "created": 0,
        "matched": 0,
        "adopted": 0,
        "skipped": 30,
        "failed": 0,
    }
    assert emulator.counters()["total"] == 0


def test_existing_customers_are_adopted_in_one_paged_pass(
    emulator: EmulatorControl, stripe_client: stripe.StripeClient, store: Store
) -> None:
    first = {}
    for entity in ids(150, "e-"):
        params = {"metadata": {"entityId": entity}}
        first[entity] = stripe_client.v1.customers.create(params=params).id  # type: ignore[arg-type]
    for _ in range(60):
        stripe_client.v1.customers.create(params={"email": "other@example.com"})
    # A second customer claiming e-5, newer: the oldest one is adopted.
    stripe_client.v1.customers.create(params={"metadata": {"entityId": "e-5"}})
    emulator.reset_counters()

    parsed = parse_input("\n".join(ids(200, "e-")))
    report = run_backfill(parsed, Shard(), stripe_client, store, make_caller(store, 500), 4)
    assert report.counts == {"created": 50, "matched": 150, "adopted": 0, "skipped": 0, "failed": 0}
    # 211 customers: ceil(211 / 100) list requests, then one create per missing entity.
    assert emulator.counters()["by_route"] == {"GET /v1/customers": 3, "POST /v1/customers": 50}
    assert store.get_customer("e-5") == first["e-5"]
    assert store.get_customer("e-149") == first["e-149"]
    customers = all_customers(stripe_client)
    assert len(customers) == 261
    assert [e for e in entity_ids(customers) if e != "None"] == sorted([*ids(200, "e-"), "e-5"])


def test_a_429_storm_loses_nothing(
    emulator: EmulatorControl, stripe_client: stripe.StripeClient, store: Store
) -> None:
    # The account allows 15/s but this run believes 200/s: most first attempts get a 429.
    emulator.faults(rate_limit=15)
    parsed = parse_input("\n".join(ids(40)))
    report = run_backfill(parsed, Shard(), stripe_client, store, make_caller(store, 200), 8)
    assert report.counts == {"created": 40, "matched": 0, "adopted": 0, "skipped": 0, "failed": 0}
    counters = emulator.counters()
    assert counters["rate_limited"] > 0
    assert report.retries["429"] == counters["rate_limited"]
    assert report.requests == counters["total"]
    emulator.clear_faults()
    assert entity_ids(all_customers(stripe_client)) == sorted(ids(40))


def test_server_errors_lose_nothing(
    emulator: EmulatorControl, stripe_client: stripe.StripeClient, store: Store
) -> None:
    emulator.faults(
        error_rate=0.25,
        fail_requests=[
            {
                "method": "GET",
                "path_prefix": "/v1/customers",
                "after": 0,
                "count": 2,
                "status": 500,
            },
            {
                "method": "POST",
                "path_prefix": "/v1/customers",
                "after": 5,
                "count": 3,
                "status": 503,
            },
        ],
    )
    parsed = parse_input("\n".join(ids(40)))
    report = run_backfill(parsed, Shard(), stripe_client, store, make_caller(store, 500), 8)
    assert report.counts == {"created": 40, "matched": 0, "adopted": 0, "skipped": 0, "failed": 0}
    counters = emulator.counters()
    assert counters["errors_injected"] >= 5
    assert report.retries.get("503") == 3
    assert sum(report.retries.values()) == counters["errors_injected"]
    emulator.clear_faults()
    assert entity_ids(all_customers(stripe_client)) == sorted(ids(40))


@pytest.mark.parametrize("point", ["after", "during", "drop"])
def test_faults_after_execution_began_make_one_customer_per_entity(
    emulator: EmulatorControl, stripe_client: stripe.StripeClient, store: Store, point: str
) -> None:
    # A 500 saved for the key (docs: api/idempotent_requests) comes back for every retry with
    # it; the run lists what landed and creates the rest with a new key.
    emulator.faults(error_rate=0.2, error_point=point, error_methods=["POST"])
    parsed = parse_input("\n".join(ids(60)))
    report = run_backfill(parsed, Shard(), stripe_client, store, make_caller(store, 500), 8)
    assert report.counts == {"created": 60, "matched": 0, "adopted": 0, "skipped": 0, "failed": 0}
    assert emulator.counters()["errors_injected"] > 0
    emulator.clear_faults()
    customers = all_customers(stripe_client)
    assert entity_ids(customers) == sorted(ids(60))
    for customer in customers:
        assert store.get_customer(customer["metadata"]["entityId"]) == customer["id"]


def test_per_endpoint_limit_keeps_a_live_rate_backfill_free_of_429s(
    emulator: EmulatorControl, stripe_client: stripe.StripeClient, store: Store
) -> None:
    # docs: rate-limits: 100 requests/s for a live account, and 25/s per endpoint by default.
    # A backfill sends nearly every request to POST /v1/customers, so 25/s is its pace.
    emulator.faults(rate_limit=100, endpoint_rate_limit=25)
    parsed = parse_input("\n".join(ids(40)))
    # Told 22/s: a loaded test machine bunches arrivals a little (see test_workers.py).
    caller = make_caller(store, 100, endpoint_rate=22)
    report = run_backfill(parsed, Shard(), stripe_client, store, caller, 8)
    assert report.counts == {"created": 40, "matched": 0, "adopted": 0, "skipped": 0, "failed": 0}
    assert report.retries == {}
    assert emulator.counters()["rate_limited"] == 0


def test_without_the_endpoint_limit_the_same_backfill_earns_429s(
    emulator: EmulatorControl, stripe_client: stripe.StripeClient, store: Store
) -> None:
    emulator.faults(rate_limit=100, endpoint_rate_limit=25)
    parsed = parse_input("\n".join(ids(40)))
    report = run_backfill(parsed, Shard(), stripe_client, store, make_caller(store, 100), 8)
    assert report.counts["created"] == 40  # retried, so nothing is lost ...
    assert report.retries["429"] == emulator.counters()["rate_limited"] > 0  # ... but slower


def test_a_client_error_is_reported_not_retried_and_the_rerun_finishes(
    emulator: EmulatorControl, stripe_client: stripe.StripeClient, store: Store
) -> None:
    emulator.faults(
        fail_requests=[
            {
                "method": "POST",
                "path_prefix": "/v1/customers",
                "after": 2,
                "count": 1,
                "status": 400,
            }
        ]
    )
    parsed = parse_input("a\nb\nc\nd\n")
    report = run_backfill(parsed, Shard(), stripe_client, store, make_caller(store, 500), 1)
    assert report.counts == {"created": 3, "matched": 0, "adopted": 0, "skipped": 0, "failed": 1}
    assert [f.key for f in report.failures] == ["c"]
    assert re.fullmatch(
        r"HTTP 400: Injected failure with status 400\. \(request id req_\w+\)",
        report.failures[0].reason,
    )
    assert report.requests == 5  # the list, then four creates: the 400 was not retried
    assert not report.ok
    assert store.get_customer("c") is None

    emulator.reset_counters()
    again = run_backfill(parsed, Shard(), stripe_client, store, make_caller(store, 500), 1)
    assert again.counts == {"created": 1, "matched": 0, "adopted": 0, "skipped": 3, "failed": 0}
    assert emulator.counters()["by_route"] == {"GET /v1/customers": 1, "POST /v1/customers": 1}
    assert entity_ids(all_customers(stripe_client)) == ["a", "b", "c", "d"]


def test_malformed_lines_are_reported_and_skipped(
    cli_env: dict[str, str],
    emulator: EmulatorControl,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "users.csv"
    source.write_text("entity_id,email\nu1,a@example.com\nu2\nu1,a@example.com\nu3,nope\nu4,\n")
    code, out, _ = run_cli(["backfill", "customers", "--input", str(source)], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "backfill customers: created 2, matched 0, adopted 0, skipped 0, failed 0"
    assert lines[2:] == [
        "1 duplicate line(s) counted once",
        f"malformed: {source}:3: expected 2 fields, found 1",
        f"malformed: {source}:5: invalid email 'nope'",
    ]
    assert emulator.counters()["by_route"] == {"GET /v1/customers": 1, "POST /v1/customers": 2}


def test_strict_aborts_before_any_request(
    cli_env: dict[str, str],
    emulator: EmulatorControl,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "users.jsonl"
    source.write_text('{"entity_id": "u1"}\n{"entity_id": ""}\n{oops}\n')
    code, out, err = run_cli(["backfill", "customers", "--input", str(source), "--strict"], capsys)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"malformed: {source}:2: empty entity id",
        f"malformed: {source}:3: invalid JSON: Expecting property name enclosed in double "
        "quotes at column 2",
        f"{source}: 2 malformed line(s); --strict: nothing was done",
    ]
    assert emulator.counters()["total"] == 0


def test_empty_input_from_stdin_says_so(
    cli_env: dict[str, str],
    emulator: EmulatorControl,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n \n"))
    code, out, err = run_cli(["backfill", "customers", "--input", "-"], capsys)
    assert (code, out, err) == (0, "", "<stdin>: no entity ids in the input; nothing to do\n")
    assert emulator.counters()["total"] == 0


def test_unreadable_input_and_bad_shard(
    cli_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.txt"
    code, _, err = run_cli(["backfill", "customers", "--input", str(missing)], capsys)
    assert code == 1
    assert err == (
        f"error: cannot read input {missing}: [Errno 2] No such file or directory: '{missing}'\n"
    )
    source = tmp_path / "ids.txt"
    source.write_text("u1\n")
    code, _, err = run_cli(
        ["backfill", "customers", "--input", str(source), "--shard", "5/4"], capsys
    )
    assert code == 1
    assert err == "error: --shard must be i/n with 1 <= i <= n (like 1/4), got '5/4'\n"


def test_an_unreadable_customer_list_aborts_before_any_create(
    cli_env: dict[str, str],
    emulator: EmulatorControl,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator.faults(
        fail_requests=[
            {"method": "GET", "path_prefix": "/v1/customers", "after": 0, "count": 9, "status": 403}
        ]
    )
    source = tmp_path / "ids.txt"
    source.write_text("u1\nu2\n")
    code, out, err = run_cli(["backfill", "customers", "--input", str(source)], capsys)
    assert (code, out) == (1, "")
    assert re.fullmatch(
        r"error: listing customers: Injected failure with status 403\. \(request id req_\w+\)",
        err.splitlines()[-1],
    )
    assert emulator.counters()["by_route"] == {"GET /v1/customers": 1}
