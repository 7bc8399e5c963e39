"""Amounts and quantities Stripe refuses: negative ones, wherever a price or coupon takes one.

Pages: api/prices/create (`unit_amount`: "A positive integer in cents ... (or 0 for a free
price)", likewise in `currency_options` and `tiers`), api/coupons/create (`amount_off`: "A
positive integer"). The refusal's wording is Stripe's for an integer under its bound.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import stripe

from tests.emulator.helpers import monthly_price, new_customer


def _refused(call: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call()
    return caught.value


def _price(client: stripe.StripeClient, **fields: Any) -> Any:
    params: Any = {"product_data": {"name": "Limits"}, "currency": "usd", **fields}
    return lambda: client.v1.prices.create(params=params)


@pytest.mark.parametrize(
    ("fields", "param", "minimum"),
    [
        ({"unit_amount": -1}, "unit_amount", 0),
        ({"unit_amount_decimal": Decimal("-0.5")}, "unit_amount_decimal", 0),
        (
            {"unit_amount": 100, "currency_options": {"eur": {"unit_amount": -5}}},
            "currency_options[eur][unit_amount]",
            0,
        ),
        (
            {
                "billing_scheme": "tiered",
                "tiers_mode": "volume",
                "recurring": {"interval": "month"},
                "tiers": [{"up_to": 5, "unit_amount": -1}, {"up_to": "inf", "unit_amount": 1}],
            },
            "tiers[0][unit_amount]",
            0,
        ),
        (
            {
                "billing_scheme": "tiered",
                "tiers_mode": "graduated",
                "recurring": {"interval": "month"},
                "tiers": [{"up_to": 5, "unit_amount": 1}, {"up_to": "inf", "flat_amount": -9}],
            },
            "tiers[1][flat_amount]",
            0,
        ),
        (
            {"custom_unit_amount": {"enabled": True, "minimum": -100}},
            "custom_unit_amount[minimum]",
            0,
        ),
    ],
)
def test_negative_price_amounts_are_refused(
    client: stripe.StripeClient, fields: dict[str, Any], param: str, minimum: int
) -> None:
    error = _refused(_price(client, **fields))
    assert (error.http_status, error.code, error.param, error.user_message) == (
        400,
        "parameter_invalid_integer",
        param,
        f"This value must be greater than or equal to {minimum}.",
    )


def test_a_free_price_is_taken(client: stripe.StripeClient) -> None:
    assert _price(client, unit_amount=0)().unit_amount == 0


def test_currency_options_on_update_refuse_negative_amounts(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    error = _refused(
        lambda: client.v1.prices.update(
            price.id, params={"currency_options": {"eur": {"unit_amount": -1}}}
        )
    )
    assert (error.param, error.user_message) == (
        "currency_options[eur][unit_amount]",
        "This value must be greater than or equal to 0.",
    )


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"amount_off": -500, "currency": "usd"}, "amount_off"),
        ({"amount_off": 0, "currency": "usd"}, "amount_off"),
        (
            {"amount_off": 500, "currency": "usd", "currency_options": {"eur": {"amount_off": -1}}},
            "currency_options[eur][amount_off]",
        ),
    ],
)
def test_coupon_amounts_below_one_are_refused(
    client: stripe.StripeClient, params: dict[str, Any], param: str
) -> None:
    given: Any = params
    error = _refused(lambda: client.v1.coupons.create(params=given))
    assert (error.http_status, error.code, error.param, error.user_message) == (
        400,
        "parameter_invalid_integer",
        param,
        "This value must be greater than or equal to 1.",
    )


def test_negative_quantities_are_refused(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    customer = new_customer(client)
    error = _refused(
        lambda: client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id, "quantity": -2}]}
        )
    )
    assert (error.code, error.param, error.user_message) == (
        "parameter_invalid_integer",
        "items[0][quantity]",
        "This value must be greater than or equal to 0.",
    )
    assert client.v1.subscriptions.list(params={"customer": customer.id}).data == []


@pytest.mark.parametrize(
    ("fields", "param", "message"),
    [
        (
            {"unit_amount": 100_000_000},
            "unit_amount",
            "This value must be less than or equal to 99999999.",
        ),
        (
            {"unit_amount_decimal": Decimal("100000000")},
            "unit_amount_decimal",
            "This value must be less than or equal to 99999999.",
        ),
        (
            {"unit_amount_decimal": Decimal("1.0000000000001")},
            "unit_amount_decimal",
            "Invalid decimal: 1.0000000000001 has more than 12 decimal places",
        ),
    ],
)
def test_amounts_over_eight_digits_or_twelve_decimals_are_refused(
    client: stripe.StripeClient, fields: dict[str, Any], param: str, message: str
) -> None:
    error = _refused(_price(client, **fields))
    assert (error.http_status, error.param, error.user_message) == (400, param, message)


def test_the_largest_amounts_are_taken(client: stripe.StripeClient) -> None:
    assert _price(client, unit_amount=99_999_999)().unit_amount == 99_999_999
    price = _price(client, unit_amount_decimal=Decimal("99999999.999999999999"))()
    assert price.unit_amount_decimal == Decimal("99999999.999999999999")
