"""Taking over the hand-made account of issue 17 in one reviewed step: `import`, `validate`,
`apply --adopt` (no create, no archive, every id kept), `diff` clean, a second import byte for
byte the same, the grandfathered subscriber's plan named after a `sync`, and the same files
applied to an empty account giving the same catalog."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from reconciler.emulator import run_in_thread
from reconciler.testing import EmulatorControl
from tests.reconcile.conftest import Run
from tests.reconcile.helpers import every_price
from tests.reconcile.takeover_account import TakeoverAccount, build_takeover_account

CREATES = (
    "POST /v1/products",
    "POST /v1/prices",
    "POST /v1/coupons",
    "POST /v1/promotion_codes",
    "POST /v1/billing/meters",
    "POST /v1/entitlements/features",
    "POST /v1/billing_portal/configurations",
)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _routes(emulator: EmulatorControl) -> dict[str, int]:
    routes: dict[str, int] = emulator.counters()["by_route"]
    return routes


def _catalog(client: stripe.StripeClient) -> dict[str, Any]:
    """What the account holds, by the keys the tool gives it, without Stripe's ids."""
    products = {p.id: p for p in client.v1.products.list(params={"limit": 100}).data}
    key_of = {pid: p.metadata["plan-key"] for pid, p in products.items()}
    prices = [p for p in every_price(client) if p.active]
    by_id = {p.id: p for p in every_price(client)}

    def terms(price: Any) -> dict[str, Any]:
        raw = price.to_dict()
        recurring = raw.get("recurring") or {}
        return {
            "product": key_of[raw["product"]],
            "currency": raw["currency"],
            "unit_amount_decimal": raw.get("unit_amount_decimal"),
            "interval": recurring.get("interval"),
            "usage_type": recurring.get("usage_type"),
            "custom_unit_amount": raw.get("custom_unit_amount"),
            "currency_options": sorted((raw.get("currency_options") or {}).keys()),
        }

    features = client.v1.entitlements.features.list(params={"limit": 100}).data
    attached = sorted(
        (key_of[pid], a.entitlement_feature.lookup_key)
        for pid in products
        for a in client.v1.products.features.list(pid, params={"limit": 100}).data
    )
    portal = client.v1.billing_portal.configurations.list(params={"limit": 100}).data
    return {
        "products": sorted((key_of[p.id], p.name, p.active) for p in products.values()),
        "prices": sorted(
            (p.lookup_key, json.dumps(terms(p), sort_keys=True, default=str)) for p in prices
        ),
        "defaults": sorted(
            (key_of[p.id], by_id[p.default_price].lookup_key)
            for p in products.values()
            if p.default_price
        ),
        "coupons": sorted(
            json.dumps(
                [c.to_dict()["metadata"].get("plan-key"), c.name, c.percent_off, c.amount_off],
                default=str,
            )
            for c in client.v1.coupons.list(params={"limit": 100}).data
        ),
        "codes": sorted(
            (c.code, c.active) for c in client.v1.promotion_codes.list(params={"limit": 100}).data
        ),
        "features": sorted((f.lookup_key, f.name, f.active) for f in features),
        "attachments": attached,
        "portal": sorted(
            json.dumps(c.to_dict()["features"], sort_keys=True) for c in portal if c.active
        ),
    }


@pytest.fixture
def account(stripe_client: stripe.StripeClient, emulator: EmulatorControl) -> TakeoverAccount:
    return build_takeover_account(stripe_client, emulator)


@pytest.fixture
def empty_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with run_in_thread() as second:
        yield second.url


def test_the_hand_made_account_is_taken_over_in_place(
    run: Run,
    stripe_client: stripe.StripeClient,
    emulator: EmulatorControl,
    account: TakeoverAccount,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    empty_account: str,
) -> None:
    plans = tmp_path / "plans"
    code, out, err = run("import", "--out", str(plans), "--format", "json")
    assert code == 0, err
    printed = json.loads(out)
    assert (printed["left_out"], printed["dropped"]) == ({}, [])
    assert printed["written"] == {
        "meter": 1,
        "coupon": 2,
        "promotion_code": 1,
        "feature": 1,
        "product_feature": 1,
        "portal_configuration": 1,
        "price": 7,
        "product": 4,
    }
    assert run("validate", str(plans))[0] == 0
    code, out, err = run("diff", str(plans), "--adopt")
    assert code == 2, err
    assert out.splitlines()[-3] == (
        "Plan: 0 to create, 0 to update, 0 to replace, 0 to archive, 16 to adopt (4 products, "
        "7 prices, 2 coupons, 1 feature, 1 portal configuration, 1 promotion code)."
    )
    prices_before = sorted(p.id for p in every_price(stripe_client))
    emulator.reset_counters()
    code, _, err = run("apply", str(plans), "--adopt", "--yes")
    assert code == 0, err
    routes = _routes(emulator)
    assert {r: n for r, n in routes.items() if r in CREATES} == {}
    archived = [p for p in every_price(stripe_client) if not p.active]
    assert [p.id for p in archived] == [account.prices["pro_2019"]]
    assert sorted(p.id for p in every_price(stripe_client)) == prices_before
    assert sum(1 for p in every_price(stripe_client) if p.active) == 6
    products = {p.name: p.id for p in stripe_client.v1.products.list(params={"limit": 100})}
    assert products == account.products
    assert run("diff", str(plans))[0] == 0

    again = tmp_path / "again"
    assert run("import", "--out", str(again))[0] == 0
    assert _files(again) == _files(plans)

    # The grandfathered subscriber: their customer is linked to an entity, synced, and the
    # runtime names the plan of the archived price's product.
    customer: Any = {"metadata": {"entityId": "acme"}}
    stripe_client.v1.customers.update(account.grandfathered_customer, params=customer)
    monkeypatch.setenv("REDIS_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    code, _, err = run("sync", "--customer", account.grandfathered_customer)
    assert code == 0, err
    code, out, err = run("entitlements", "acme", "--plans", str(plans), "--format", "json")
    assert code == 0, err
    answer = json.loads(out)
    assert (answer["status"], answer["plan"]) == ("active", "pro")

    # The same files on an empty account make the same catalog.
    original = _catalog(stripe_client)
    monkeypatch.setenv("STRIPE_API_BASE", empty_account)
    code, _, err = run("apply", str(plans), "--yes")
    assert code == 0, err
    fresh = stripe.StripeClient(
        "sk_test_reconcile_suite", base_addresses={"api": empty_account}, max_network_retries=0
    )
    assert _catalog(fresh) == original
    # A coupon keeps the id the user chose: codes typed at checkout still name it.
    assert fresh.v1.coupons.retrieve("BLACKFRIDAY").percent_off == 25
    assert run("diff", str(plans))[0] == 0


@pytest.mark.parametrize("point", ["after", "during"])
def test_an_adoption_cut_short_by_faults_converges_on_a_rerun(
    run: Run,
    stripe_client: stripe.StripeClient,
    emulator: EmulatorControl,
    account: TakeoverAccount,
    tmp_path: Path,
    point: str,
) -> None:
    plans = tmp_path / "plans"
    assert run("import", "--out", str(plans))[0] == 0
    prices_before = sorted(p.id for p in every_price(stripe_client))
    # Most writes fail (beyond what the retry policy absorbs), so the apply stops part way;
    # "during": Stripe keeps the 500 for each key, which the rerun must not meet again.
    emulator.faults(error_rate=0.9, error_point=point, error_methods=["POST"], seed=1)
    code, _, err = run("apply", str(plans), "--adopt", "--yes")
    assert code == 1, err
    assert "Run apply again: it diffs Stripe afresh and converges." in err
    emulator.clear_faults()
    code, _, err = run("apply", str(plans), "--adopt", "--yes")
    assert code == 0, err
    assert run("diff", str(plans))[0] == 0
    again = tmp_path / "again"
    assert run("import", "--out", str(again))[0] == 0
    assert _files(again) == _files(plans)
    assert sorted(p.id for p in every_price(stripe_client)) == prices_before
    products = {p.name: p.id for p in stripe_client.v1.products.list(params={"limit": 100})}
    assert products == account.products
