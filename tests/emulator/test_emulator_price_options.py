"""Prices with other currencies, customer-chosen amounts and quantity transforms.

Pages: https://docs.stripe.com/api/prices/object (currency_options is includable),
https://docs.stripe.com/api/prices/create, https://docs.stripe.com/api/prices/update,
https://docs.stripe.com/billing/subscriptions/usage-based/manage-billing-setup
(transform_quantity is not compatible with tiered pricing).
"""

from __future__ import annotations

import uuid

import pytest
import stripe


@pytest.fixture
def product(client: stripe.StripeClient) -> stripe.Product:
    return client.v1.products.create(params={"name": f"Options {uuid.uuid4().hex[:8]}"})


def test_currency_options_only_when_expanded(
    client: stripe.StripeClient, product: stripe.Product
) -> None:
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
            "currency_options": {"eur": {"unit_amount": 900, "tax_behavior": "exclusive"}},
        }
    )
    assert "currency_options" not in price
    shown = client.v1.prices.retrieve(price.id, params={"expand": ["currency_options"]})
    assert shown.currency_options is not None
    assert sorted(shown.currency_options.to_dict()) == ["eur", "usd"]
    eur = shown.currency_options["eur"]
    assert (eur.unit_amount, eur.tax_behavior, eur.custom_unit_amount) == (900, "exclusive", None)
    assert shown.currency_options["usd"].unit_amount == 1000
    listed = client.v1.prices.list(
        params={"product": product.id, "expand": ["data.currency_options"]}
    )
    assert listed.data[0].currency_options is not None
    assert listed.data[0].currency_options["eur"].unit_amount == 900


def test_currency_options_are_updatable(
    client: stripe.StripeClient, product: stripe.Product
) -> None:
    price = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 1000}
    )
    client.v1.prices.update(
        price.id,
        params={"currency_options": {"gbp": {"unit_amount": 800}}},
    )
    client.v1.prices.update(
        price.id,
        params={"currency_options": {"gbp": {"unit_amount": 850}}},
    )
    shown = client.v1.prices.retrieve(price.id, params={"expand": ["currency_options"]})
    assert shown.currency_options is not None
    assert shown.currency_options["gbp"].unit_amount == 850


def test_custom_unit_amount(client: stripe.StripeClient, product: stripe.Product) -> None:
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "custom_unit_amount": {
                "enabled": True,
                "minimum": 500,
                "maximum": 10000,
                "preset": 1000,
            },
        }
    )
    assert price.custom_unit_amount is not None
    assert price.custom_unit_amount.to_dict() == {
        "maximum": 10000,
        "minimum": 500,
        "preset": 1000,
    }
    assert (price.unit_amount, price.unit_amount_decimal) == (None, None)


def test_transform_quantity(client: stripe.StripeClient, product: stripe.Product) -> None:
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 100,
            "transform_quantity": {"divide_by": 1000, "round": "up"},
        }
    )
    assert price.transform_quantity is not None
    assert price.transform_quantity.to_dict() == {"divide_by": 1000, "round": "up"}
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 100,
                "transform_quantity": {"divide_by": 10},  # type: ignore[typeddict-item]
            }
        )
    assert (missing.value.code, missing.value.param) == (
        "parameter_missing",
        "transform_quantity[round]",
    )
