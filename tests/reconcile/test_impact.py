"""The pure entitlement delta and how counts attach to changes."""

from __future__ import annotations

from reconciler.model import Catalog, Config
from reconciler.reconcile.changes import Change, FieldChange
from reconciler.reconcile.diff import diff
from reconciler.reconcile.impact import (
    counted_price,
    currency_refusal,
    entitlement_delta,
    with_impact,
)
from reconciler.reconcile.plan import DiffOptions, Plan
from reconciler.reconcile.render_text import render_text
from tests.reconcile.helpers import CONFIG, live, price, product, synced


def test_limits_rise_and_fall_with_unlimited_highest() -> None:
    before = {"limits:seats": "5", "limits:credits": "unlimited", "limits:gone": "1"}
    after = {"limits:seats": "unlimited", "limits:credits": "100"}
    assert entitlement_delta(before, after, Config()) == (
        ("limit seats: 5 -> unlimited",),
        ("limit credits: unlimited -> 100", "limit gone: 1 -> (none)"),
        (),
    )


def test_configured_default_limits_fill_a_missing_limit() -> None:
    config = Config(default_limits={"seats": 1})
    assert entitlement_delta({}, {"limits:seats": "1"}, config) == ((), (), ())
    assert entitlement_delta({}, {"limits:seats": "2"}, config) == (
        ("limit seats: 1 -> 2",),
        (),
        (),
    )


def test_features_gain_lose_and_change() -> None:
    before = {"features:A": "false", "features:B": "true", "features:C": "email"}
    after = {"features:A": "true", "features:C": "chat", "features:D": "1"}
    assert entitlement_delta(before, after, Config()) == (
        ("feature A: false -> true", "feature D: (none) -> 1"),
        ("feature B: true -> (none)",),
        ("feature C: email -> chat",),
    )


def test_only_entitlement_changes_and_replacements_are_counted() -> None:
    catalog = Catalog((product("pro", price("pro_monthly", nickname="New")),))
    products, prices = synced(catalog)
    prices[0]["nickname"] = "Old"
    (rename,) = diff(catalog, live(products, prices), DiffOptions(), CONFIG).changes
    assert counted_price(rename, CONFIG) is None
    prices[0]["metadata"]["limits:seats"] = "9"
    plan = diff(catalog, live(products, prices), DiffOptions(), CONFIG)
    (change,) = plan.changes
    assert counted_price(change, CONFIG) == "price_pro_monthly"
    counted = with_impact(plan, {"price_pro_monthly": 4}, CONFIG)
    (with_count,) = counted.changes
    assert (with_count.action, with_count.kind) == (
        "update",
        "price",
    ) and with_count.impact is not None
    assert (with_count.impact.subscriptions, with_count.impact.lost) == (
        4,
        ("limit seats: 9 -> 1",),
    )
    assert counted.fingerprint == plan.fingerprint


def test_subscribers_staying_on_a_replaced_price_keep_their_entitlements() -> None:
    catalog = Catalog((product("pro", price("pro_monthly", 900, limits={"seats": 2})),))
    products, prices = synced(catalog)
    prices[0]["unit_amount_decimal"] = "800"
    prices[0]["metadata"]["limits:seats"] = "1"
    plan = diff(catalog, live(products, prices), DiffOptions(), CONFIG)
    (staying,) = with_impact(plan, {"price_pro_monthly": 3}, CONFIG).changes
    assert (staying.action, staying.kind) == ("replace", "price") and staying.impact is not None
    assert (staying.impact.subscriptions, staying.impact.gained) == (3, ())
    moving_plan = diff(
        catalog, live(products, prices), DiffOptions(migrate_subscribers=True), CONFIG
    )
    (moving,) = with_impact(moving_plan, {"price_pro_monthly": 3}, CONFIG).changes
    assert (moving.action, moving.kind) == ("replace", "price") and moving.impact is not None
    assert moving.impact.gained == ("limit seats: 1 -> 2",)


def test_richer_limit_forms_rank_by_amount_and_a_new_form_is_a_change() -> None:
    before = {"limits:seats": "2", "limits:calls": "1000", "limits:credits": "per_unit=10"}
    after = {
        "limits:seats": "per_unit=1",
        "limits:calls": "value=1000;reset=month",
        "limits:credits": "per_unit=20;meter=credits_used",
    }
    assert entitlement_delta(before, after, Config()) == (
        ("limit credits: per_unit=10 -> per_unit=20;meter=credits_used",),
        ("limit seats: 2 -> per_unit=1",),
        ("limit calls: 1000 -> value=1000;reset=month",),
    )


def test_only_a_migration_of_subscribers_across_currencies_is_refused() -> None:
    catalog = Catalog((product("pro", price("pro_monthly", 900, currency="eur")),))
    products, prices = synced(catalog)
    prices[0]["currency"] = "usd"
    current = live(products, prices)
    migrating = diff(catalog, current, DiffOptions(migrate_subscribers=True), CONFIG)
    assert currency_refusal(with_impact(migrating, {"price_pro_monthly": 0}, CONFIG)) is None
    assert currency_refusal(with_impact(migrating, {"price_pro_monthly": 3}, CONFIG)) == (
        "--migrate-subscribers refused: Stripe does not change an ongoing subscription's "
        "currency (price pro_monthly: 3 subscription(s) cannot move from usd to eur); drop "
        "--migrate-subscribers to leave them on the old price, or cancel and re-create those "
        "subscriptions in the new currency"
    )
    staying = diff(catalog, current, DiffOptions(), CONFIG)
    assert currency_refusal(with_impact(staying, {"price_pro_monthly": 3}, CONFIG)) is None
    prices[0]["currency"] = "eur"
    prices[0]["unit_amount_decimal"] = "800"
    same = diff(catalog, live(products, prices), DiffOptions(migrate_subscribers=True), CONFIG)
    assert currency_refusal(with_impact(same, {"price_pro_monthly": 3}, CONFIG)) is None


def test_adopting_a_grandfathered_price_counts_who_still_pays_it() -> None:
    state = {"active": False, "currency": "usd", "metadata": {}}
    adopt = Change(
        action="adopt",
        kind="price",
        identity="pro-monthly-usd-1900",
        group="pro",
        stripe_id="price_2019",
        before={**state, "lookup_key": ""},
        after={**state, "lookup_key": "pro-monthly-usd-1900"},
        fields=(FieldChange("lookup_key", "", "pro-monthly-usd-1900"),),
    )
    assert counted_price(adopt, CONFIG) == "price_2019"
    plan = with_impact(Plan((adopt,)), {"price_2019": 1}, CONFIG)
    assert render_text(plan).splitlines()[:3] == [
        "<- price pro-monthly-usd-1900 (price_2019)",
        '    lookup_key: "" -> "pro-monthly-usd-1900"',
        "    # 1 active or trialing subscription(s) still pay this archived price: they keep it",
    ]
