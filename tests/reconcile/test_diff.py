"""The pure diff: every change kind, ownership, pruning, defaults, fingerprint and the rail."""

from __future__ import annotations

from typing import Any

from reconciler.model import Catalog
from reconciler.reconcile.changes import Carried, Change, FieldChange, Notice, Unmanaged
from reconciler.reconcile.diff import diff
from reconciler.reconcile.plan import DiffOptions, Plan
from tests.reconcile.helpers import (
    CONFIG,
    live,
    price,
    product,
    raw_price,
    raw_product,
    synced,
    tiered,
)

PRO = product("pro", price("pro_monthly", 4900), price("pro_yearly", 49000))
CATALOG = Catalog((PRO,))


def plan_for(
    catalog: Catalog, products: list[dict[str, Any]], prices: list[dict[str, Any]], **options: bool
) -> Plan:
    return diff(catalog, live(products, prices), DiffOptions(**options), CONFIG)


def test_in_sync_catalog_has_no_changes_and_no_notes() -> None:
    plan = plan_for(CATALOG, *synced(CATALOG))
    assert plan.changes == ()
    assert plan.notes == ()
    assert plan.managed_prices == 2


def test_empty_account_creates_products_then_prices_sorted() -> None:
    plan = plan_for(CATALOG, [], [])
    assert [((c.action, c.kind), c.key) for c in plan.changes] == [
        (("create", "product"), "product:pro"),
        (("create", "price"), "price:pro_monthly"),
        (("create", "price"), "price:pro_yearly"),
    ]
    create = plan.changes[0]
    assert (create.action, create.kind) == ("create", "product")
    assert FieldChange("metadata.plan-key", None, "pro") in create.fields
    assert FieldChange("default_price", None, "pro_monthly") in create.fields
    price_create = plan.changes[1]
    assert (price_create.action, price_create.kind) == ("create", "price")
    assert price_create.group_id is None
    assert FieldChange("metadata.limits:seats", None, "1") in price_create.fields


def test_product_name_and_metadata_key_removed_is_an_update_that_deletes_the_key() -> None:
    products, prices = synced(CATALOG)
    products[0]["name"] = "Old name"
    products[0]["metadata"]["legacy"] = "x"
    plan = plan_for(CATALOG, products, prices)
    (change,) = plan.changes
    assert (change.action, change.kind) == ("update", "product")
    assert change.group_id == "prod_pro"
    assert change.fields == (
        FieldChange("metadata.legacy", "x", None),
        FieldChange("name", "Old name", "Pro"),
    )


def test_limit_change_is_an_in_place_update() -> None:
    products, prices = synced(CATALOG)
    prices[0]["metadata"]["limits:seats"] = "5"
    plan = plan_for(CATALOG, products, prices)
    (change,) = plan.changes
    assert (change.action, change.kind) == ("update", "price")
    assert change.key == "price:pro_monthly"
    assert change.fields == (FieldChange("metadata.limits:seats", "5", "1"),)


def test_unparsable_limit_in_stripe_is_a_difference_not_a_default() -> None:
    products, prices = synced(CATALOG)
    prices[0]["metadata"]["limits:seats"] = "lots"
    (change,) = plan_for(CATALOG, products, prices).changes
    assert change.fields == (FieldChange("metadata.limits:seats", "lots", "1"),)


def test_amount_change_is_a_replacement_that_moves_the_default() -> None:
    products, prices = synced(CATALOG)
    prices[0]["unit_amount_decimal"] = "3900"
    (change,) = plan_for(CATALOG, products, prices).changes
    assert (change.action, change.kind) == ("replace", "price")
    assert change.stripe_id == "price_pro_monthly"
    assert _carried(change).moves_default is True
    assert _carried(change).migrate_subscribers is False
    assert change.fields == (FieldChange("unit_amount", "3900", "4900"),)


def test_replacing_a_non_default_price_leaves_the_default_alone() -> None:
    products, prices = synced(CATALOG)
    prices[1]["recurring"] = {"interval": "month", "interval_count": 12}
    (change,) = plan_for(CATALOG, products, prices, migrate_subscribers=True).changes
    assert (change.action, change.kind) == ("replace", "price")
    assert _carried(change).moves_default is False
    assert _carried(change).migrate_subscribers is True
    assert _carried(change).proration_behavior == "create_prorations"


def test_tiers_change_is_a_replacement() -> None:
    catalog = Catalog((product("seats", tiered("seats_monthly")),))
    products, prices = synced(catalog)
    prices[0]["tiers"][0]["up_to"] = 5
    (change,) = plan_for(catalog, products, prices).changes
    assert (change.action, change.kind) == ("replace", "price")
    assert [f.path for f in change.fields] == ["tiers"]


def test_tax_behavior_set_from_unspecified_is_an_update_but_a_switch_is_a_replacement() -> None:
    catalog = Catalog((product("pro", price("pro_monthly", 4900, tax_behavior="exclusive")),))
    products, prices = synced(catalog)
    prices[0]["tax_behavior"] = "unspecified"
    (first,) = plan_for(catalog, products, prices).changes
    assert (first.action, first.kind) == ("update", "price")
    prices[0]["tax_behavior"] = "inclusive"
    (second,) = plan_for(catalog, products, prices).changes
    assert (second.action, second.kind) == ("replace", "price")


def test_undeclared_price_is_a_notice_without_prune_and_archived_with_it() -> None:
    products, prices = synced(CATALOG)
    extra = price("pro_legacy", 100)
    prices.append(raw_price(extra, "prod_pro"))
    plan = plan_for(CATALOG, products, prices)
    assert plan.changes == ()
    assert plan.notes == (
        Notice("price:pro_legacy", "price_pro_legacy", "not declared; --prune archives it"),
    )
    (change,) = plan_for(CATALOG, products, prices, prune=True).changes
    assert (change.action, change.kind) == ("archive", "price")
    assert change.fields == (FieldChange("active", True, False),)


def test_orphan_of_an_interrupted_replacement_is_archived_even_without_prune() -> None:
    products, prices = synced(CATALOG)
    orphan = raw_price(price("gone", 100), "prod_pro")
    orphan["lookup_key"] = None
    prices.append(orphan)
    (change,) = plan_for(CATALOG, products, prices).changes
    assert (change.action, change.kind) == ("archive", "price")
    assert change.key == "price:(price_gone)"
    assert change.reason == "left active by an interrupted replacement"


def test_undeclared_product_is_archived_with_prune_with_every_price_default_included() -> None:
    old = product("old", price("old_monthly"), price("old_yearly"))
    products, prices = synced(Catalog((PRO, old)))
    plan = plan_for(CATALOG, products, prices, prune=True)
    assert [(c.action, c.key) for c in plan.changes] == [
        ("archive", "product:old"),
        ("archive", "price:old_monthly"),
        ("archive", "price:old_yearly"),
    ]
    archive = plan.changes[0]
    assert (archive.action, archive.kind) == ("archive", "product")
    # Stripe refuses to archive a product's default price: the apply unsets it first.
    assert archive.fields == (
        FieldChange("active", True, False),
        FieldChange("default_price", "old_monthly", None),
    )
    assert plan.notes == ()


def test_a_plan_without_a_default_unsets_it() -> None:
    undeclared = product("pro", *PRO.prices, default_price=None)
    products, prices = synced(CATALOG)
    (change,) = plan_for(Catalog((undeclared,)), products, prices).changes
    assert (change.action, change.key) == ("update", "product:pro")
    assert change.fields == (FieldChange("default_price", "pro_monthly", None),)


def test_replacing_the_default_of_a_product_without_a_declared_default_archives_it() -> None:
    changed = product("pro", price("pro_monthly", 5900), PRO.prices[1], default_price=None)
    products, prices = synced(CATALOG)
    plan = plan_for(Catalog((changed,)), products, prices)
    assert [(c.action, c.key) for c in plan.changes] == [
        ("update", "product:pro"),
        ("replace", "price:pro_monthly"),
    ]
    replace = plan.changes[1]
    assert (replace.action, replace.kind) == ("replace", "price")
    assert (_carried(replace).moves_default, _carried(replace).archive_old, replace.reason) == (
        False,
        True,
        "",
    )


def test_unmanaged_objects_are_never_changed_and_listed() -> None:
    products, prices = synced(CATALOG)
    stranger = product("stranger", price("stranger_monthly"))
    products.append(raw_product(stranger, managed=False))
    prices.append(raw_price(stranger.prices[0], "prod_stranger", managed=False))
    plan = plan_for(CATALOG, products, prices, prune=True)
    assert plan.changes == ()
    assert plan.notes == (
        Unmanaged(
            "product", "stranger", "prod_stranger", "not managed by reconciler (1 active price(s))"
        ),
    )


def test_unmanaged_match_needs_adopt_and_adoption_only_adds_the_marker() -> None:
    products = [raw_product(PRO, managed=False)]
    products[0]["metadata"].pop("plan-key")  # made in the dashboard: no plan key either
    prices = [raw_price(p, "prod_pro", managed=False) for p in PRO.prices]
    plan = plan_for(CATALOG, products, prices)
    assert plan.changes == ()
    assert [type(n).__name__ for n in plan.notes] == ["Unmanaged"]
    adopted = plan_for(CATALOG, products, prices, adopt=True)
    # Adoption is its own action (issue 17): the same objects, each taking the identity.
    assert [(c.action, c.key) for c in adopted.changes] == [
        ("adopt", "product:pro"),
        ("adopt", "price:pro_monthly"),
        ("adopt", "price:pro_yearly"),
    ]
    assert adopted.changes[0].fields == (
        FieldChange("metadata.managed-by", None, "reconciler"),
        FieldChange("metadata.plan-key", None, "pro"),
    )
    assert adopted.changes[1].fields == (FieldChange("metadata.managed-by", None, "reconciler"),)


def test_default_price_change_is_a_product_update() -> None:
    products, prices = synced(CATALOG)
    products[0]["default_price"] = "price_pro_yearly"
    (change,) = plan_for(CATALOG, products, prices).changes
    assert change.fields == (FieldChange("default_price", "pro_yearly", "pro_monthly"),)


def test_fingerprint_is_stable_and_depends_on_changes_and_options() -> None:
    first = plan_for(CATALOG, [], [])
    again = plan_for(CATALOG, [], [])
    assert first.fingerprint == again.fingerprint
    assert len(first.fingerprint) == 64
    assert plan_for(CATALOG, [], [], prune=True).fingerprint != first.fingerprint
    other = Catalog((product("pro", price("pro_monthly", 4901), price("pro_yearly", 49000)),))
    assert plan_for(other, [], []).fingerprint != first.fingerprint


def test_safety_rail_counts_archived_and_replaced_managed_prices() -> None:
    many = Catalog((product("big", *(price(f"p{i:02}", 100 + i) for i in range(10))),))
    products, prices = synced(many)
    for raw in prices[:3]:
        raw["unit_amount_decimal"] = "1"
    assert plan_for(many, products, prices).safety_problem() is None  # 3 of 10 is 30%
    prices[3]["unit_amount_decimal"] = "1"
    assert plan_for(many, products, prices).safety_problem() == (
        "this plan archives or replaces 4 of 10 managed prices (40%, more than 30%); "
        "review it and use --force"
    )


def test_small_catalogs_are_below_the_rail() -> None:
    products, prices = synced(CATALOG)
    for raw in prices:
        raw["unit_amount_decimal"] = "1"
    plan = plan_for(CATALOG, products, prices)
    assert plan.destructive == 2
    assert plan.safety_problem() is None


def test_amounts_compare_as_numbers() -> None:
    products, prices = synced(CATALOG)
    prices[0]["unit_amount_decimal"] = "4900.00"
    assert plan_for(CATALOG, products, prices).changes == ()


def test_a_default_of_an_undeclared_product_stays_without_prune() -> None:
    # pro_monthly is held by a price of `other`, a product no plan declares, as its default.
    other = product("other", price("pro_monthly", 4900))
    products, prices = synced(Catalog((product("pro", PRO.prices[1]), other)))
    plan = plan_for(CATALOG, products, prices)
    (replace,) = [c for c in plan.changes if (c.action, c.kind) == ("replace", "price")]
    assert (replace.stripe_id, _carried(replace).archive_old) == ("price_pro_monthly", False)
    assert replace.reason == (
        "the old price stays active: it is the default price of product other, which no plan "
        "declares (--prune archives that product and its prices)"
    )
    pruned = plan_for(CATALOG, products, prices, prune=True)
    assert [(c.action, c.key) for c in pruned.changes] == [
        ("archive", "product:other"),
        ("update", "product:pro"),
        ("replace", "price:pro_monthly"),
    ]
    pruned_replace = pruned.changes[2]
    assert (pruned_replace.action, pruned_replace.kind) == ("replace", "price")
    assert (_carried(pruned_replace).archive_old, pruned_replace.reason) == (True, "")


def _carried(change: Change) -> Carried:
    """What a price replacement carries over (every replacement of a price has it)."""
    assert change.carried is not None
    return change.carried
