"""Golden files for the renderings of a plan over every account-level kind: a meter replaced,
a coupon replaced with its promotion code following it, a feature created and attached, a
promotion code pruned and an undeclared coupon noted. Written before the engines were made one,
so the one engine is held to the same bytes.

Regenerate after an intended change with
`UPDATE_GOLDEN=1 pytest tests/reconcile/test_render_objects.py` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.kinds import COUPON, FEATURE, METER, PRODUCT_FEATURE, PROMOTION_CODE
from reconciler.model import AccountObject, Catalog
from reconciler.reconcile.diff import diff
from reconciler.reconcile.plan import DiffOptions, Plan
from reconciler.stripe_catalog.live import LiveCatalog, LiveObject
from tests.reconcile.helpers import CONFIG, live, price, product, synced
from tests.reconcile.test_render import RENDERERS, matches_golden

GOLDEN = Path(__file__).parent / "golden"
MARKED = {"managed-by": "reconciler"}


def _meter(formula: str) -> dict[str, object]:
    return METER.from_plan(
        {"key": "calls", "event_name": "api_call", "display_name": "Calls", "formula": formula}
    )


def every_object_kind_plan() -> Plan:
    pro = product("pro", price("pro_monthly", 4900))
    products, prices = synced(Catalog((pro,)))
    base = live(products, prices)
    coupon_terms = COUPON.from_plan({"key": "launch", "percent_off": 20})
    old_coupon = COUPON.from_plan({"key": "launch", "percent_off": 10})
    code_terms = PROMOTION_CODE.from_plan({"code": "LAUNCH", "coupon": "launch"})
    stale_code = PROMOTION_CODE.from_plan({"code": "OLD", "coupon": "launch"})
    sso = FEATURE.from_plan({"lookup_key": "sso", "name": "SSO"})
    attach = PRODUCT_FEATURE.from_plan({"product": "pro", "entitlement_feature": "sso"})
    desired = Catalog(
        (pro,),
        (
            AccountObject("meter", "api_call", _meter("count"), alias="calls"),
            AccountObject("coupon", "launch", coupon_terms),
            AccountObject("promotion_code", "LAUNCH", code_terms),
            AccountObject("feature", "sso", sso),
            AccountObject("product_feature", "pro/sso", attach),
        ),
    )
    objects = (
        LiveObject("meter", "mtr_1", "api_call", _meter("sum"), True, True, 1),
        LiveObject(
            "coupon",
            "co_launch",
            "launch",
            old_coupon,
            True,
            True,
            2,
            {"plan-key": "launch", **MARKED},
        ),
        LiveObject(
            "coupon",
            "co_spare",
            "spare",
            COUPON.from_plan({"key": "spare", "percent_off": 5}),
            True,
            True,
            3,
            {"plan-key": "spare", **MARKED},
        ),
        LiveObject("promotion_code", "promo_1", "LAUNCH", code_terms, True, True, 4, dict(MARKED)),
        LiveObject("promotion_code", "promo_2", "OLD", stale_code, True, True, 5, dict(MARKED)),
    )
    held = LiveCatalog(base.products, base.prices, objects)
    return diff(desired, held, DiffOptions(prune=True), CONFIG)


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_object_rendering_matches_golden_file(name: str) -> None:
    matches_golden(f"objects-{name}", RENDERERS[name](every_object_kind_plan()))
