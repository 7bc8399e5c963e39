"""The type check itself: what it reports for answers that break stripe-node's types.

Each test hands `typecheck` answers made up here and asserts the exact finding, so the
check in test_emulator_node_types.py is known to fail on each kind of fault it is for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.emulator.node_types import UnknownKind, render, summary, ts_type, typecheck

FEATURE: dict[str, Any] = {
    "id": "feat_1",
    "object": "entitlements.feature",
    "active": True,
    "livemode": False,
    "lookup_key": "sso",
    "metadata": {},
    "name": "SSO",
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module's checks: the declarations are copied into it once."""
    return tmp_path_factory.mktemp("typecheck")


def _check(workdir: Path, node_tools: Path, *answers: Any) -> list[str]:
    labelled = [(f"GET /v1/x{index} -> 200", body) for index, body in enumerate(answers)]
    return [str(f) for f in typecheck(render(labelled), workdir, node_tools)]


def test_a_conforming_answer_has_no_findings(workdir: Path, node_tools: Path) -> None:
    assert _check(workdir, node_tools, FEATURE) == []


def test_an_excess_property_is_named(workdir: Path, node_tools: Path) -> None:
    found = _check(workdir, node_tools, {**FEATURE, "colour": "red"})
    assert found == [
        "GET /v1/x0 -> 200 [entitlements.feature]: $.colour: TS2353: Object literal may only "
        "specify known properties, and '\"colour\"' does not exist in type 'Feature'."
    ]


def test_a_missing_property_is_named(workdir: Path, node_tools: Path) -> None:
    incomplete = {key: value for key, value in FEATURE.items() if key != "lookup_key"}
    (found,) = _check(workdir, node_tools, incomplete)
    assert found.startswith("GET /v1/x0 -> 200 [entitlements.feature]: $: TS2741: ")
    assert found.endswith(
        "Property 'lookup_key' is missing in type '{ id: string; object: "
        '"entitlements.feature"; active: true; livemode: false; metadata: '
        "{}; name: string; }' but required in type 'Feature'."
    )


def test_a_null_the_type_does_not_allow_is_named(workdir: Path, node_tools: Path) -> None:
    found = _check(workdir, node_tools, {**FEATURE, "name": None})
    assert found == [
        "GET /v1/x0 -> 200 [entitlements.feature]: $.name: TS2322: Type 'null' is not "
        "assignable to type 'string'."
    ]


def test_a_value_outside_an_enum_is_named(workdir: Path, node_tools: Path) -> None:
    """stripe-node's enums are open (`| OtherString`); the check closes them."""
    coupon: dict[str, Any] = {
        "id": "TWENTY",
        "object": "coupon",
        "amount_off": None,
        "currency": None,
        "percent_off": 20.0,
        "created": 1796485422,
        "duration": "once",
        "duration_in_months": None,
        "livemode": False,
        "max_redemptions": None,
        "metadata": {},
        "name": None,
        "redeem_by": None,
        "times_redeemed": 0,
        "valid": True,
    }
    assert _check(workdir, node_tools, coupon) == []
    found = _check(workdir, node_tools, {**coupon, "duration": "twice"})
    assert found == [
        "GET /v1/x0 -> 200 [coupon]: $.duration: TS2322: Type '\"twice\"' is not assignable "
        "to type 'Duration'."
    ]


def test_decimal_strings_pass_only_where_the_type_is_decimal(
    workdir: Path, node_tools: Path
) -> None:
    found = _check(workdir, node_tools, {**FEATURE, "name_decimal": "1.5"})
    assert found == [
        "GET /v1/x0 -> 200 [entitlements.feature]: $.name_decimal: TS2353: Object literal may "
        "only specify known properties, and '\"name_decimal\"' does not exist in type 'Feature'."
    ]


def test_list_items_are_checked_each_against_its_own_type(workdir: Path, node_tools: Path) -> None:
    listed = {
        "object": "list",
        "data": [FEATURE, {**FEATURE, "id": "feat_2", "active": "yes"}],
        "has_more": False,
        "url": "/v1/entitlements/features",
    }
    found = _check(workdir, node_tools, listed)
    assert found == [
        "GET /v1/x0 -> 200 [entitlements.feature]: $.data[1].active: TS2322: Type 'string' is "
        "not assignable to type 'boolean'."
    ]


def test_summary_names_each_fault_once(workdir: Path, node_tools: Path) -> None:
    findings = typecheck(
        render([("GET /a", {**FEATURE, "name": None}), ("GET /b", {**FEATURE, "name": None})]),
        workdir,
        node_tools,
    )
    assert summary(findings) == [
        "[entitlements.feature] $.name: TS2322: Type 'null' is not assignable to type "
        "'string'. (first in GET /a [entitlements.feature])"
    ]


def test_types_by_object() -> None:
    assert ts_type(FEATURE) == "Stripe.Entitlements.Feature"
    assert ts_type({"object": "product", "id": "prod_1", "deleted": True}) == (
        "Stripe.DeletedProduct"
    )
    assert ts_type({"error": {"type": "api_error"}}) == "{ error: Stripe.StripeRawError }"
    assert ts_type({"object": "event", "type": "product.created"}) == (
        'Extract<Stripe.Event, { type: "product.created" }>'
    )
    assert ts_type({"object": "list", "data": [], "url": "/v1/x", "has_more": False}) == (
        "Stripe.ApiList<never>"
    )
    with pytest.raises(UnknownKind, match="no stripe-node type for object 'thing'"):
        ts_type({"object": "thing"})
