"""`sync --all`: one paged pass over every subscription refreshes each mapped customer's cache
with the runtime's rule and shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from reconciler.backfill.shard import Shard
from reconciler.backfill.subscriptions import run_sync_all
from reconciler.cli import main
from reconciler.runtime.store import Store
from reconciler.runtime.stripe_calls import RuntimeStripe
from reconciler.runtime.subscriptions import summarize
from reconciler.testing import EmulatorControl
from tests.backfill.conftest import make_caller


def seed(client: stripe.StripeClient, store: Store) -> dict[str, str]:
    """120 mapped customers with a trialing subscription (10 of them also with a canceled
    one), 10 unmapped customers with one each; returns entity -> customer id."""
    product = client.v1.products.create(params={"name": "Pro"})
    price_params: Any = {
        "product": product.id,
        "currency": "usd",
        "unit_amount": 1000,
        "recurring": {"interval": "month"},
    }
    price = client.v1.prices.create(params=price_params)
    mapped: dict[str, str] = {}
    for i in range(130):
        entity = f"user-{i}"
        customer = client.v1.customers.create(params={"metadata": {"entityId": entity}})
        sub_params: Any = {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": 7,
        }
        if i < 10:
            old = client.v1.subscriptions.create(params=sub_params)
            client.v1.subscriptions.cancel(old.id)
        client.v1.subscriptions.create(params=sub_params)
        if i < 120:
            store.set_customer(entity, customer.id)
            mapped[entity] = customer.id
    return mapped


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_sync_all_pages_subscriptions_and_caches_the_runtime_choice(
    cli_env: dict[str, str],
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    store: Store,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mapped = seed(stripe_client, store)
    emulator.reset_counters()
    args = ["sync", "--all", "--rate", "500", "--format", "json"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["counts"] == {
        "updated": 120,
        "unchanged": 0,
        "unmapped": 10,
        "other_shard": 0,
        "failed": 0,
        "subscriptions": 140,
    }
    # 140 subscriptions: two list requests, and one for the products (which are add-ons).
    assert emulator.counters()["by_route"] == {"GET /v1/products": 1, "GET /v1/subscriptions": 2}
    assert summary["requests"] == 3

    runtime = RuntimeStripe(stripe_client)
    for entity, customer in mapped.items():
        expected = summarize(runtime.list_subscriptions(customer))
        assert store.get_subscription(entity) == expected
    assert store.get_subscription("user-0")["status"] == "trialing"  # type: ignore[index]
    assert store.get_subscription("user-125") is None

    code, out, _ = run_cli(args, capsys)
    assert code == 0
    assert json.loads(out)["counts"]["unchanged"] == 120


def test_a_customer_no_longer_the_entitys_is_not_synced(
    emulator: EmulatorControl, stripe_client: stripe.StripeClient, store: Store
) -> None:
    mapped = seed(stripe_client, store)
    replacement = stripe_client.v1.customers.create(params={"metadata": {"entityId": "user-3"}})
    store.set_customer("user-3", replacement.id)  # the old customer keeps its reverse mapping
    assert store.entity_for_customer(mapped["user-3"]) == "user-3"
    report = run_sync_all(stripe_client, store, make_caller(store, 500), Shard(), 4)
    assert (report.counts["updated"], report.counts["unmapped"]) == (119, 11)
    assert store.get_subscription("user-3") is None


def test_shards_split_the_writes(
    emulator: EmulatorControl, stripe_client: stripe.StripeClient, store: Store
) -> None:
    mapped = seed(stripe_client, store)
    halves = [
        run_sync_all(stripe_client, store, make_caller(store, 500), Shard(i, 2), 4) for i in (1, 2)
    ]
    updated = [h.counts["updated"] for h in halves]
    assert [h.counts["other_shard"] for h in halves] == [updated[1], updated[0]]
    assert sum(updated) == len(mapped) == 120
    assert all(h.counts["unmapped"] == 10 and h.ok for h in halves)


def test_usage_errors(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["sync"], capsys)
    assert code == 1
    assert err.splitlines()[-1] == "Error: give either --customer ID or --all"
    code, _, err = run_cli(["sync", "--all", "--customer", "cus_1"], capsys)
    assert code == 1
    assert err.splitlines()[-1] == "Error: give either --customer ID or --all"
