"""`backfill customers` on a user base the team's application built before the tool: its
customers carry no `metadata.entityId`, so they are adopted (named by the input's
`customer_id`, found by `--match-metadata` or `--match-email`), never duplicated; a dry run
reads and writes nothing; what is ambiguous is refused and settled by the next run's input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import stripe

from reconciler.backfill.adopt import MatchRules
from reconciler.backfill.customers import run_backfill
from reconciler.backfill.inputs import parse_input
from reconciler.backfill.report import Adoption
from reconciler.backfill.shard import Shard
from reconciler.cli import main
from reconciler.runtime.store import Store
from reconciler.testing import EmulatorControl
from tests.backfill.conftest import all_customers, make_caller

RULES = ["--match-metadata", "user_id", "--match-email"]


def _customer(client: stripe.StripeClient, **params: Any) -> str:
    given: Any = params
    return str(client.v1.customers.create(params=given).id)


def _hand_made(client: stripe.StripeClient) -> dict[str, str]:
    """The customers the application made, by what they are for."""
    made = {
        "meta": _customer(client, email="meta@example.com", metadata={"user_id": "u-meta"}),
        "mail": _customer(client, email="Mail@Example.com"),
        "given": _customer(client, name="Given by id"),
        "owned": _customer(client, metadata={"entityId": "u-owned"}),
        "twin1": _customer(client, email="twin@example.com"),
        "twin2": _customer(client, email="twin@example.com"),
    }
    for i in range(30):
        _customer(client, email=f"other-{i}@example.com")
    return made


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["backfill", "customers", "--rate", "500", *args])
    return code, capsys.readouterr().out


def test_a_hand_made_user_base_is_adopted_after_a_dry_run(
    cli_env: dict[str, str],
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    made = _hand_made(stripe_client)
    source = tmp_path / "users.csv"
    source.write_text(
        "entity_id,email,customer_id\n"
        "u-meta,meta@example.com,\n"
        "u-mail,mail@example.com,\n"
        f"u-given,,{made['given']}\n"
        "u-owned,,\n"
        "u-twin,twin@example.com,\n"
        "u-new,new@example.com,\n"
    )
    args = ["--input", str(source), *RULES]
    emulator.reset_counters()
    code, out = _run([*args, "--dry-run"], capsys)
    assert code == 1  # u-twin needs a person
    assert out.splitlines() == [
        "backfill customers (dry run, nothing written): created 1, matched 1, adopted 3, "
        "skipped 0, failed 1",
        out.splitlines()[1],
        f"to adopt: u-given -> {made['given']} (by customer_id)",
        f"to adopt: u-mail -> {made['mail']} (by email)",
        f"to adopt: u-meta -> {made['meta']} (by metadata.user_id)",
        f"failed: u-twin: 2 customers have the email twin@example.com ({made['twin1']}, "
        f"{made['twin2']}); give the one to keep in the input's customer_id column",
    ]
    assert emulator.counters()["by_route"] == {"GET /v1/customers": 1}
    assert [store.get_customer(e) for e in ("u-meta", "u-owned", "u-new")] == [None] * 3

    emulator.reset_counters()
    code, out = _run([*args, "--format", "json"], capsys)
    assert code == 1
    summary = json.loads(out)
    assert (summary["dry_run"], summary["counts"]) == (
        False,
        {"created": 1, "matched": 1, "adopted": 3, "skipped": 0, "failed": 1},
    )
    assert summary["adoptions"] == [
        {"entity_id": "u-given", "customer_id": made["given"], "by": "customer_id"},
        {"entity_id": "u-mail", "customer_id": made["mail"], "by": "email"},
        {"entity_id": "u-meta", "customer_id": made["meta"], "by": "metadata.user_id"},
    ]
    routes = emulator.counters()["by_route"]
    assert routes == {
        "GET /v1/customers": 1,
        "POST /v1/customers": 1,
        "POST /v1/customers/:id": 3,
    }
    # Each adopted customer now carries the entity; only u-new got a new customer.
    expected = {"u-meta": "meta", "u-mail": "mail", "u-given": "given", "u-owned": "owned"}
    for entity, which in expected.items():
        assert store.get_customer(entity) == made[which]
        metadata = stripe_client.v1.customers.retrieve(made[which]).metadata
        assert metadata is not None and metadata["entityId"] == entity
    assert stripe_client.v1.customers.retrieve(made["meta"]).metadata.to_dict() == {  # type: ignore[union-attr]
        "entityId": "u-meta",
        "user_id": "u-meta",
    }
    customers = all_customers(stripe_client)
    assert len(customers) == 37
    assert store.get_customer("u-twin") is None

    # The person settles u-twin in the input; the rerun touches nothing else.
    source.write_text(
        source.read_text().replace("u-twin,twin@example.com,", f"u-twin,,{made['twin2']}")
    )
    emulator.reset_counters()
    code, out = _run([*args, "--format", "json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["counts"] == {
        "created": 0,
        "matched": 0,
        "adopted": 1,
        "skipped": 5,
        "failed": 0,
    }
    assert store.get_customer("u-twin") == made["twin2"]
    assert emulator.counters()["by_route"] == {"GET /v1/customers": 1, "POST /v1/customers/:id": 1}
    assert len(all_customers(stripe_client)) == 37


def test_without_the_rules_a_hand_made_customer_is_not_taken(
    cli_env: dict[str, str],
    stripe_client: stripe.StripeClient,
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mine = _customer(stripe_client, email="ada@example.com", metadata={"user_id": "u1"})
    source = tmp_path / "users.csv"
    source.write_text("entity_id,email\nu1,ada@example.com\n")
    code, out = _run(["--input", str(source), "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["counts"]["created"] == 1
    assert store.get_customer("u1") not in (None, mine)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("entityId", "entityId is always matched; name your application's own key"),
        ("a[b]", "'a[b]' is not a Stripe metadata key (1-40 characters, no square brackets)"),
        (
            "k" * 41,
            f"{'k' * 41!r} is not a Stripe metadata key (1-40 characters, no square brackets)",
        ),
    ],
)
def test_a_match_key_stripe_would_not_hold_is_refused_before_any_request(
    cli_env: dict[str, str],
    emulator: EmulatorControl,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    key: str,
    message: str,
) -> None:
    source = tmp_path / "ids.txt"
    source.write_text("u1\n")
    emulator.reset_counters()
    code = main(["backfill", "customers", "--input", str(source), "--match-metadata", key])
    assert code == 1  # a usage error (`reconciler.cli.main`)
    assert f"Invalid value for --match-metadata: {message}" in capsys.readouterr().err
    assert emulator.counters()["total"] == 0


def test_a_shard_refuses_a_customer_the_input_gives_to_an_entity_of_another_shard(
    emulator: EmulatorControl, stripe_client: stripe.StripeClient, store: Store
) -> None:
    shard = Shard(2, 2)
    named = next(f"named-{i}" for i in range(100) if not shard.owns(f"named-{i}"))
    finder = next(f"finder-{i}" for i in range(100) if shard.owns(f"finder-{i}"))
    shared = _customer(stripe_client, email="ada@example.com")
    parsed = parse_input(
        f"entity_id,email,customer_id\n{named},,{shared}\n{finder},ada@example.com,\n"
    )
    caller = make_caller(store, 500)
    report = run_backfill(
        parsed, shard, stripe_client, store, caller, 2, rules=MatchRules(email=True)
    )
    assert report.counts == {"created": 0, "matched": 0, "adopted": 0, "skipped": 0, "failed": 1}
    assert [f.reason for f in report.failures] == [
        f"customer {shared} has the email ada@example.com, but the input gives it to entity "
        f"{named} (customer_id)"
    ]
    other = run_backfill(parsed, Shard(1, 2), stripe_client, store, caller, 2)
    assert other.adoptions == (Adoption(named, shared, "customer_id"),)
