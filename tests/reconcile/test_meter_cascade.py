"""Metered prices follow their replaced meter, in the pure diff: the exact change values, the
reasons and what the plan says about subscribers, on values built without any I/O."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from reconciler.kinds import METER
from reconciler.model import AccountObject, Catalog, with_meter
from reconciler.reconcile.changes import Carried, Change
from reconciler.reconcile.diff import diff
from reconciler.reconcile.impact import with_impact
from reconciler.reconcile.plan import DiffOptions, Plan
from reconciler.reconcile.render_json import render_json
from reconciler.reconcile.render_markdown import render_markdown
from reconciler.reconcile.render_text import render_text
from reconciler.stripe_catalog import LiveCatalog, LivePrice, normalize_price, normalize_product
from reconciler.stripe_catalog.live import LiveObject
from tests.reconcile.helpers import CONFIG, price, product, raw_price, raw_product

METERED = {"interval": "month", "usage_type": "metered", "meter": "api_call"}
USAGE = price("api_usage", 5, recurring=METERED)
FLAT = price("pro_monthly", 4900)
CATALOG_PRODUCT = product("pro", FLAT, USAGE)


def declared_meter(formula: str = "sum") -> AccountObject:
    document = {"event_name": "api_call", "display_name": "Calls", "formula": formula}
    return AccountObject("meter", "api_call", METER.from_plan(document), alias="calls")


def live_meter(meter_id: str, active: bool = True, formula: str = "sum") -> LiveObject:
    document = {"event_name": "api_call", "display_name": "Calls", "formula": formula}
    created = int(meter_id.rsplit("_", 1)[1])
    return LiveObject(
        "meter", meter_id, "api_call", METER.from_plan(document), True, active, created
    )


def live_usage_price(meter_id: str, active: bool = True) -> LivePrice:
    """The metered price as `read_live_catalog` gives it: the meter named by its event name
    (every meter id of the account maps to one), its id kept aside."""
    raw = raw_price(USAGE, "prod_pro")
    raw["recurring"] = {**raw["recurring"], "usage_type": "metered", "meter": meter_id}
    raw["active"] = active
    normalized = normalize_price(raw, CONFIG)
    events = {"mtr_1": "api_call", "mtr_2": "api_call"}
    return replace(normalized, price=with_meter(normalized.price, events))


def plan_for(
    meters: list[LiveObject],
    usage: LivePrice,
    formula: str = "sum",
    usage_price: Any = USAGE,
    **options: bool,
) -> Plan:
    desired = Catalog((product("pro", FLAT, usage_price),), (declared_meter(formula),))
    flat = normalize_price(raw_price(FLAT, "prod_pro"), CONFIG)
    live = LiveCatalog(
        (normalize_product(raw_product(desired.products[0])),),
        (flat, usage),
        tuple(meters),
    )
    return diff(desired, live, DiffOptions(**options), CONFIG)


REPLACED = "its meter api_call is replaced, and Stripe cannot move a price to another meter"


def test_in_sync_metered_price_on_the_active_meter_plans_nothing() -> None:
    plan = plan_for([live_meter("mtr_1")], live_usage_price("mtr_1"))
    assert (plan.changes, plan.notes) == ((), ())


def test_a_replaced_meter_replaces_its_metered_prices() -> None:
    usage = live_usage_price("mtr_1")
    plan = plan_for([live_meter("mtr_1")], usage, formula="count")
    meter_change, price_change = sorted(plan.changes, key=lambda c: c.kind)
    assert meter_change.action == "replace"
    assert (meter_change.key, meter_change.stripe_id) == ("meter:api_call", "mtr_1")
    state = {**usage.price.terms, "product": "pro", "metadata": dict(usage.stripe_metadata)}
    assert price_change == Change(
        action="replace",
        kind="price",
        identity="api_usage",
        group="pro",
        stripe_id="price_api_usage",
        group_id="prod_pro",
        before=state,
        after=state,
        fields=(),
        reason=REPLACED,
        carried=Carried(
            moves_default=False,
            archive_old=True,
            migrate_subscribers=False,
            proration_behavior="create_prorations",
            follows_meter="api_call",
        ),
    )
    assert plan.destructive == 1


def test_the_cascade_says_why_and_what_happens_to_subscribers() -> None:
    plan = plan_for([live_meter("mtr_1")], live_usage_price("mtr_1"), formula="count")
    counted = with_impact(plan, {"price_api_usage": 3}, CONFIG)
    text = render_text(counted).splitlines()
    start = text.index("-/+ price api_usage (price_api_usage)")
    assert text[start : start + 3] == [
        "-/+ price api_usage (price_api_usage)",
        "    # 3 subscription(s) stay on the old price and its old meter: usage reported as "
        "api_call reaches only the new meter, so it is no longer billed to them "
        "(--migrate-subscribers moves them)",
        f"    # reason: {REPLACED}",
    ]
    assert start == 0  # prices come first in a plan; the meter's own change follows
    assert "-/+ meter api_call (mtr_1)" in text
    row = next(line for line in render_markdown(counted).splitlines() if "price api_usage" in line)
    assert row == (
        "| `-/+` | replace price api_usage (price_api_usage) | 3 subscription(s) stay on the "
        "old price and its old meter: usage reported as api_call reaches only the new meter, "
        "so it is no longer billed to them (--migrate-subscribers moves them)<br>reason: "
        f"{REPLACED} |"
    )
    (record,) = [c for c in json.loads(render_json(counted))["changes"] if c["kind"] == "price"]
    assert {k: record[k] for k in ("action", "key", "stripe_id", "follows_meter", "reason")} == {
        "action": "replace",
        "key": "price:api_usage",
        "stripe_id": "price_api_usage",
        "follows_meter": "api_call",
        "reason": REPLACED,
    }
    assert record["impact"] == {"subscriptions": 3, "gained": [], "lost": [], "changed": []}


def test_with_migration_the_subscribers_move_to_the_new_meter() -> None:
    plan = plan_for(
        [live_meter("mtr_1")], live_usage_price("mtr_1"), "count", migrate_subscribers=True
    )
    counted = with_impact(plan, {"price_api_usage": 2}, CONFIG)
    text = render_text(counted).splitlines()
    start = text.index("-/+ price api_usage (price_api_usage)")
    assert text[start + 1] == (
        "    # 2 subscription(s) move to the new price and its new meter (create_prorations)"
    )
    (change,) = [c for c in counted.changes if (c.action, c.kind) == ("replace", "price")]
    assert _carried(change).migrate_subscribers is True


def test_a_price_left_on_the_old_meter_by_an_interrupted_apply_follows_it() -> None:
    # The meter was replaced (mtr_2 active, mtr_1 deactivated), the price was not.
    meters = [live_meter("mtr_1", active=False), live_meter("mtr_2", formula="count")]
    plan = plan_for(meters, live_usage_price("mtr_1"), formula="count")
    assert [(c.action, c.key, c.reason) for c in plan.changes] == [
        (
            "replace",
            "price:api_usage",
            "its meter api_call was replaced by mtr_2 and the price still bills against "
            "mtr_1, and Stripe cannot move a price to another meter",
        )
    ]
    # Once the price is on the active meter, nothing is left to do.
    assert plan_for(meters, live_usage_price("mtr_2"), formula="count").changes == ()


def test_a_price_on_a_deactivated_meter_follows_the_new_one() -> None:
    # Deactivated by hand (or an apply stopped between deactivating and creating): the plan
    # creates a meter for the event name and moves the price to it.
    plan = plan_for([live_meter("mtr_1", active=False)], live_usage_price("mtr_1"))
    assert [(c.action, c.key, c.reason) for c in plan.changes] == [
        (
            "replace",
            "price:api_usage",
            "its meter api_call is inactive and a new meter takes over its event name, and "
            "Stripe cannot move a price to another meter",
        ),
        ("create", "meter:api_call", ""),
    ]


def test_a_display_name_change_keeps_the_meter_and_its_prices() -> None:
    desired = Catalog(
        (CATALOG_PRODUCT,),
        (replace(declared_meter(), terms={**declared_meter().terms, "display_name": "API"}),),
    )
    flat = normalize_price(raw_price(FLAT, "prod_pro"), CONFIG)
    live = LiveCatalog(
        (normalize_product(raw_product(CATALOG_PRODUCT)),),
        (flat, live_usage_price("mtr_1")),
        (live_meter("mtr_1"),),
    )
    plan = diff(desired, live, DiffOptions(), CONFIG)
    assert [(c.action, c.key) for c in plan.changes] == [("update", "meter:api_call")]


def test_an_inactive_declared_price_stays_on_its_old_meter() -> None:
    archived = price("api_usage", 5, recurring=METERED, active=False)
    plan = plan_for(
        [live_meter("mtr_1")],
        live_usage_price("mtr_1", active=False),
        formula="count",
        usage_price=archived,
    )
    assert [(c.action, c.key) for c in plan.changes] == [("replace", "meter:api_call")]


def test_a_price_that_changes_too_keeps_its_own_reason_and_follows_the_meter() -> None:
    dearer = price("api_usage", 7, recurring=METERED)
    plan = plan_for([live_meter("mtr_1")], live_usage_price("mtr_1"), "count", usage_price=dearer)
    (change,) = [c for c in plan.changes if (c.action, c.kind) == ("replace", "price")]
    assert (_carried(change).follows_meter, change.reason) == ("api_call", REPLACED)
    assert [(f.path, f.before, f.after) for f in change.fields] == [("unit_amount", "5", "7")]
    text = render_text(plan).splitlines()
    start = text.index("-/+ price api_usage (price_api_usage)")
    assert text[start + 1 : start + 4] == [
        '    unit_amount: "5" -> "7"',
        "    # replaced because Stripe cannot change unit_amount in place",
        "    # subscribers stay on the old price and its old meter: usage reported as api_call "
        "reaches only the new meter, so it is no longer billed to them "
        "(--migrate-subscribers moves them)",
    ]


def test_an_undeclared_price_left_on_the_replaced_meter_is_noted() -> None:
    usage, other = live_usage_price("mtr_1"), price("pro_weekly", 1500)
    plan = plan_for([live_meter("mtr_1")], usage, formula="count", usage_price=other)
    assert sorted(c.key for c in plan.changes) == ["meter:api_call", "price:pro_weekly"]
    (note,) = plan.notes
    assert (note.key, note.stripe_id, note.message) == (
        "price:api_usage",
        "price_api_usage",
        "not declared; --prune archives it; it bills against meter mtr_1, which no longer "
        "receives api_call usage after this plan: declare it to move it to the new meter",
    )
    kept = plan_for([live_meter("mtr_1")], usage, usage_price=other)
    (plain,) = kept.notes
    assert plain.message == "not declared; --prune archives it"


def _carried(change: Change) -> Carried:
    assert change.carried is not None
    return change.carried
