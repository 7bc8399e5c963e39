"""The pure diff of account-level objects: identity, ownership, replacement, pruning, the
per-kind safety rail and rendering, on values built without any I/O."""

from __future__ import annotations

from typing import Any

from reconciler.kinds import COUPON, METER, PROMOTION_CODE
from reconciler.model import AccountObject, Catalog
from reconciler.reconcile.diff import diff
from reconciler.reconcile.plan import DiffOptions
from reconciler.reconcile.render_markdown import render_markdown
from reconciler.reconcile.render_text import render_text
from reconciler.stripe_catalog.live import LiveCatalog, LiveObject

MARKERS = {"managed-by": "reconciler"}


def coupon(key: str, percent: int = 10) -> AccountObject:
    return AccountObject("coupon", key, COUPON.from_plan({"key": key, "percent_off": percent}))


def live_coupon(key: str, percent: int = 10, managed: bool = True) -> LiveObject:
    metadata = {"plan-key": key, **(MARKERS if managed else {})}
    terms = COUPON.from_plan({"key": key, "percent_off": percent})
    return LiveObject("coupon", f"co_{key}", key, terms, managed, True, 1, metadata)


def meter(display: str = "Calls", formula: str = "sum") -> AccountObject:
    document: dict[str, Any] = {
        "key": "calls",
        "event_name": "api_call",
        "display_name": display,
        "formula": formula,
    }
    return AccountObject("meter", "api_call", METER.from_plan(document), alias="calls")


def live_meter(formula: str = "sum") -> LiveObject:
    document = {"event_name": "api_call", "display_name": "Calls", "formula": formula}
    return LiveObject("meter", "mtr_1", "api_call", METER.from_plan(document), True, True, 1)


def plan_for(desired: list[AccountObject], live: list[LiveObject], **options: bool) -> Any:
    return diff(
        Catalog((), tuple(desired)), LiveCatalog(objects=tuple(live)), DiffOptions(**options)
    )


def test_in_sync_objects_plan_nothing() -> None:
    plan = plan_for([coupon("a"), meter()], [live_coupon("a"), live_meter()])
    assert (plan.changes, plan.notes) == ((), ())


def test_meter_formula_plans_a_replacement_that_says_why() -> None:
    plan = plan_for([meter(formula="count")], [live_meter()])
    assert render_text(plan).splitlines()[:3] == [
        "-/+ meter api_call (mtr_1)",
        '    formula: "sum" -> "count"',
        "    # reason: Stripe cannot change formula on a meter: a new meter takes over event "
        "name api_call; the old one is deactivated",
    ]
    assert render_markdown(plan).splitlines()[6] == (
        '| `-/+` | replace meter api_call (mtr_1) | `formula: "sum" -> "count"`<br>reason: '
        "Stripe cannot change formula on a meter: a new meter takes over event name api_call; "
        "the old one is deactivated |"
    )


def test_unmanaged_objects_are_noted_until_adopted() -> None:
    plan = plan_for([coupon("a", 20)], [live_coupon("a", 10, managed=False)])
    assert render_text(plan).splitlines()[:2] == [
        "No changes: Stripe matches the plan files.",
        "",
    ]
    assert render_text(plan).splitlines()[2] == (
        "! unmanaged coupon a (co_a): not managed by reconciler; --adopt takes it over"
    )
    adopted = plan_for([coupon("a", 20)], [live_coupon("a", 10, managed=False)], adopt=True)
    assert [(c.action, c.key) for c in adopted.changes] == [("replace", "coupon:a")]


def test_a_code_follows_its_replaced_coupon() -> None:
    code_terms = PROMOTION_CODE.from_plan({"code": "GO", "coupon": "a"})
    code = AccountObject("promotion_code", "GO", code_terms)
    held = LiveObject("promotion_code", "promo_1", "GO", code_terms, True, True, 1, MARKERS)
    plan = plan_for([coupon("a", 20), code], [live_coupon("a", 10), held])
    assert [(c.action, c.key, c.reason) for c in plan.changes] == [
        (
            "replace",
            "coupon:a",
            "Stripe cannot change percent_off on a coupon: the new coupon takes over the plan "
            "key; the old one stays redeemable",
        ),
        (
            "replace",
            "promotion_code:GO",
            "its coupon a is replaced, and a code keeps its coupon",
        ),
    ]


def test_each_kind_has_its_own_safety_rail() -> None:
    live = [live_coupon(f"c{n}") for n in range(10)]
    desired = [coupon(f"c{n}", 20 if n < 4 else 10) for n in range(10)]
    plan = plan_for(desired, live)
    assert plan.safety_problem() == (
        "this plan archives or replaces 4 of 10 managed coupons (40%, more than 30%); "
        "review it and use --force"
    )
    assert (
        plan_for(desired[:3] + [coupon(f"c{n}") for n in range(3, 10)], live).safety_problem()
        is None
    )


def test_prune_never_retires_the_accounts_default_portal_configuration() -> None:
    terms: dict[str, Any] = {"features": {}}
    default = LiveObject(
        "portal_configuration",
        "bpc_1",
        "default",
        terms,
        True,
        True,
        1,
        dict(MARKERS),
        is_default=True,
    )
    plan = plan_for([], [default], prune=True)
    assert plan.changes == ()
    assert [(n.key, n.message) for n in plan.notes] == [
        (
            "portal_configuration:default",
            "not declared; the account's default configuration, which every portal session "
            "uses; never retired",
        )
    ]
