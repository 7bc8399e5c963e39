"""Golden files for the text, JSON and Markdown renderings of one plan with every kind.

Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/reconcile/test_render.py`
and review the diff of the golden files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from reconciler.model import Catalog
from reconciler.reconcile.diff import diff
from reconciler.reconcile.impact import with_impact
from reconciler.reconcile.plan import DiffOptions, Plan
from reconciler.reconcile.render_json import render_json
from reconciler.reconcile.render_markdown import render_markdown
from reconciler.reconcile.render_text import render_text
from tests.reconcile.helpers import CONFIG, live, price, product, raw_price, raw_product, synced

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = Path(__file__).parents[2] / "reconciler" / "schemas" / "plan.schema.json"


def every_kind_plan() -> Plan:
    """Create, update, replace and archive of products and prices, an unmanaged note."""
    pro = product(
        "pro",
        price("pro_monthly", 4900, limits={"seats": 10}, features={"Support": True}),
        price("pro_yearly", 49000),
        description="For teams",
    )
    team = product("team", price("team_monthly", 9900))
    old = product("old", price("old_monthly"), price("old_yearly"))
    declared = Catalog((pro, team))
    products, prices = synced(Catalog((pro, old)))
    products[0]["name"] = "Pro (beta)"
    prices[0]["metadata"]["limits:seats"] = "5"
    prices[0]["metadata"]["features:Support"] = "false"
    prices[1]["unit_amount_decimal"] = "45000"
    stranger = product("stranger", price("stranger_monthly"))
    products.append(raw_product(stranger, managed=False))
    prices.append(raw_price(stranger.prices[0], "prod_stranger", managed=False))
    plan = diff(declared, live(products, prices), DiffOptions(prune=True), CONFIG)
    return with_impact(plan, {"price_pro_monthly": 3, "price_pro_yearly": 2}, CONFIG)


RENDERERS: dict[str, Callable[[Plan], str]] = {
    "plan.txt": render_text,
    "plan.json": render_json,
    "plan.md": render_markdown,
}


def matches_golden(name: str, rendered: str) -> None:
    """`rendered` is the golden file `name` (rewritten instead with UPDATE_GOLDEN=1)."""
    target = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        target.write_text(rendered, encoding="utf-8")
    assert rendered == target.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_rendering_matches_golden_file(name: str) -> None:
    matches_golden(name, RENDERERS[name](every_kind_plan()))


def test_json_rendering_follows_the_published_schema() -> None:
    document = json.loads(render_json(every_kind_plan()))
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(document)
    assert document["summary"] == {"create": 2, "update": 2, "replace": 1, "archive": 3}


def test_empty_plan_says_in_sync() -> None:
    pro = product("pro", price("pro_monthly"))
    plan = diff(Catalog((pro,)), live(*synced(Catalog((pro,)))), DiffOptions(), CONFIG)
    assert render_text(plan).splitlines()[0] == "No changes: Stripe matches the plan files."
    assert json.loads(render_json(plan))["in_sync"] is True


def test_text_update_line_is_field_before_arrow_after() -> None:
    text = render_text(every_kind_plan())
    assert "~ price pro_monthly (price_pro_monthly)\n" in text
    assert '    metadata.limits:seats: "5" -> "10"\n' in text
    assert "    #   gain: limit seats: 5 -> 10\n" in text
    assert "-/+ price pro_yearly (price_pro_yearly)\n" in text
    assert (
        "    # 2 subscription(s) stay on the old price (--migrate-subscribers moves them)\n" in text
    )
