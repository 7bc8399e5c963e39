"""Pure tests of the kinds' declarations: each direction of a field's conversions, what an
update sends, what forces a new object, and the generated JSON Schema."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.kinds import KINDS, PRICE, PRODUCT, Kind, Mutability, register_kind
from reconciler.plans.product_schema import CHECKED_IN, product_file_schema, schema_text

TIERED_PLAN = {
    "lookup_key": "seats",
    "currency": "EUR",
    "recurring": {"interval": "month"},
    "tiers_mode": "graduated",
    "tiers": [{"up_to": 10, "unit_amount": "0.5"}, {"up_to": "inf", "flat_amount": 900}],
}
# The same price as Stripe answers it.
TIERED_STRIPE = {
    "lookup_key": "seats",
    "currency": "eur",
    "unit_amount": None,
    "unit_amount_decimal": None,
    "recurring": {
        "interval": "month",
        "interval_count": 1,
        "usage_type": "licensed",
        "meter": None,
    },
    "nickname": None,
    "tax_behavior": None,
    "active": True,
    "billing_scheme": "tiered",
    "tiers_mode": "graduated",
    "tiers": [
        {"up_to": 10, "unit_amount": None, "unit_amount_decimal": "0.5", "flat_amount": None},
        {"up_to": None, "unit_amount": None, "flat_amount": 900, "flat_amount_decimal": "900"},
    ],
}
RECURRING = {"interval": "month", "interval_count": 1, "usage_type": "licensed", "meter": None}
TIERED_TERMS = {
    "lookup_key": "seats",
    "nickname": None,
    "unit_amount": None,
    "currency": "eur",
    "recurring": RECURRING,
    "tax_behavior": "unspecified",
    "active": True,
    "tiers_mode": "graduated",
    "tiers": [
        {"up_to": 10, "unit_amount": "0.5", "flat_amount": None},
        {"up_to": "inf", "unit_amount": None, "flat_amount": "900"},
    ],
    "currency_options": {},
    "custom_unit_amount": None,
    "transform_quantity": None,
}


def test_plan_file_and_stripe_answer_give_the_same_terms() -> None:
    assert PRICE.from_plan(TIERED_PLAN) == TIERED_TERMS
    assert PRICE.from_stripe(TIERED_STRIPE) == TIERED_TERMS


def test_create_params_send_every_field_with_a_value() -> None:
    assert PRICE.create_params(TIERED_TERMS) == {
        "lookup_key": "seats",
        "currency": "eur",
        "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
        "tax_behavior": "unspecified",
        "active": True,
        "tiers_mode": "graduated",
        "tiers": [
            {"up_to": 10, "unit_amount_decimal": "0.5"},
            {"up_to": "inf", "flat_amount": 900},
        ],
        "billing_scheme": "tiered",
    }


def test_dump_writes_only_what_differs_from_the_defaults() -> None:
    assert PRICE.to_plan(TIERED_TERMS, {"default": True}) == {
        "lookup_key": "seats",
        "currency": "eur",
        "recurring": {"interval": "month"},
        "default": True,
        "tiers_mode": "graduated",
        "tiers": [{"up_to": 10, "unit_amount": "0.5"}, {"up_to": "inf", "flat_amount": 900}],
    }


def test_update_clears_a_removed_text_and_transfers_a_lookup_key() -> None:
    before = {**TIERED_TERMS, "nickname": "Seats"}
    after = {**TIERED_TERMS, "lookup_key": "seats_v2"}
    assert PRICE.update_params(before, after) == {
        "lookup_key": "seats_v2",
        "transfer_lookup_key": True,
        "nickname": "",
    }
    assert not PRICE.needs_new_object(before, after)


@pytest.mark.parametrize(
    ("before", "after", "replaced"),
    [
        ({"tax_behavior": "unspecified"}, {"tax_behavior": "exclusive"}, False),
        ({"tax_behavior": "exclusive"}, {"tax_behavior": "inclusive"}, True),
        ({"currency": "eur"}, {"currency": "usd"}, True),
        ({"tiers_mode": "graduated"}, {"tiers_mode": "volume"}, True),
        ({"active": True}, {"active": False}, False),
    ],
)
def test_what_stripe_cannot_change_in_place(
    before: dict[str, str], after: dict[str, str], replaced: bool
) -> None:
    assert PRICE.needs_new_object({**TIERED_TERMS, **before}, {**TIERED_TERMS, **after}) is replaced


def test_price_fields_that_force_a_replacement() -> None:
    # tax_behavior (once set) and currency_options (a removed currency) replace only in one
    # direction: `replaces_when`, tested above and below.
    assert {f.name for f in PRICE.fields if f.mutability is not Mutability.UPDATE} == {
        "unit_amount",
        "currency",
        "recurring",
        "tiers_mode",
        "tiers",
        "custom_unit_amount",
        "transform_quantity",
    }


def test_products_update_in_place_and_clear_a_description() -> None:
    before = PRODUCT.from_stripe({"name": "Pro", "description": "Old", "active": True})
    after = PRODUCT.from_plan({"name": "Pro+"})
    assert PRODUCT.update_params(before, after) == {"name": "Pro+", "description": ""}
    assert not PRODUCT.needs_new_object(before, after)


def test_kinds_register_once_by_name() -> None:
    assert KINDS["price"] is PRICE and KINDS["product"] is PRODUCT
    with pytest.raises(ValueError, match="kind 'price' is already registered"):
        register_kind(Kind(name="price", fields=()))


def test_checked_in_schemas_are_the_generated_schema() -> None:
    # Regenerate with scripts/generate-schema.
    for path in CHECKED_IN:
        assert path.read_text(encoding="utf-8") == schema_text(), path
    assert json.loads(schema_text()) == product_file_schema()


def test_schema_lists_each_declared_price_key() -> None:
    price = product_file_schema()["$defs"]["price"]
    assert list(price["properties"]) == list(PRICE.order)
    assert price["required"] == ["lookup_key", "currency"]
    assert price["properties"]["recurring"]["properties"]["interval_count"] == {
        "type": "integer",
        "minimum": 1,
    }


def test_currency_options_update_in_place_but_a_removed_currency_replaces() -> None:
    eur: dict[str, Any] = {
        "unit_amount": "900",
        "tiers": [],
        "tax_behavior": "exclusive",
        "custom_unit_amount": None,
    }
    gbp = {**eur, "unit_amount": "800.5", "tax_behavior": "unspecified"}
    before = {**TIERED_TERMS, "currency_options": {"eur": eur}}
    added = {**TIERED_TERMS, "currency_options": {"eur": eur, "gbp": gbp}}
    assert not PRICE.needs_new_object(before, added)
    assert PRICE.update_params(before, added) == {
        "currency_options": {
            "eur": {"unit_amount": 900, "tax_behavior": "exclusive"},
            "gbp": {"unit_amount_decimal": "800.5", "tax_behavior": "unspecified"},
        }
    }
    assert PRICE.needs_new_object(added, before)


def test_stripe_lists_the_own_currency_among_the_options_and_the_plan_does_not() -> None:
    raw = {
        **TIERED_STRIPE,
        "tiers": [],
        "unit_amount": 1000,
        "currency_options": {
            "eur": {"unit_amount": 1000, "tax_behavior": "unspecified"},
            "usd": {"unit_amount": 1100, "tax_behavior": "unspecified", "custom_unit_amount": None},
        },
    }
    assert PRICE.from_stripe(raw)["currency_options"] == {
        "usd": {
            "unit_amount": "1100",
            "tiers": [],
            "tax_behavior": "unspecified",
            "custom_unit_amount": None,
        }
    }


def test_lost_lists_answer_fields_no_declaration_knows() -> None:
    raw = {
        **TIERED_STRIPE,
        "id": "price_1",
        "object": "price",
        "type": "recurring",
        "metadata": {"x": "1"},
        "recurring": {**RECURRING, "trial_period_days": 14},
        "new_stripe_field": {"on": True},
    }
    assert [str(lost) for lost in PRICE.lost(raw)] == [
        "new_stripe_field = {'on': True}",
        "recurring.trial_period_days = 14",
    ]
    assert PRICE.lost(TIERED_STRIPE) == ()
