"""A price's `product_data`, and product fields Stripe checks or types: through the SDK."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import stripe


def _price(client: stripe.StripeClient, product_data: dict[str, Any]) -> stripe.Price:
    return client.v1.prices.create(
        params={
            "product_data": product_data,  # type: ignore[typeddict-item]
            "currency": "usd",
            "unit_amount": 900,
        }
    )


def test_product_data_applies_every_field(client: stripe.StripeClient) -> None:
    product_id = f"prod_data_{uuid.uuid4().hex[:8]}"
    price = _price(
        client,
        {
            "id": product_id,
            "name": "Seats",
            "active": False,
            "metadata": {"plan": "team"},
            "statement_descriptor": "ACME SEATS",
            "tax_code": "txcd_10103001",
            "unit_label": "seat",
        },
    )
    assert price.product == product_id
    product = client.v1.products.retrieve(product_id)
    assert (product.name, product.active, product.metadata.to_dict()) == (
        "Seats",
        False,
        {"plan": "team"},
    )
    assert (product.statement_descriptor, product.tax_code, product.unit_label) == (
        "ACME SEATS",
        "txcd_10103001",
        "seat",
    )


def test_product_data_defaults(client: stripe.StripeClient) -> None:
    price = _price(client, {"name": "Plain"})
    product = client.v1.products.retrieve(str(price.product))
    assert str(price.product).startswith("prod_")
    assert (product.active, product.metadata.to_dict(), product.statement_descriptor) == (
        True,
        {},
        None,
    )
    assert (product.tax_code, product.unit_label) == (None, None)


def test_product_data_id_taken_is_refused_and_nothing_is_made(
    client: stripe.StripeClient,
) -> None:
    taken = client.v1.products.create(params={"name": "First"})
    before = len(client.v1.prices.list(params={"limit": 100}).data)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _price(client, {"id": taken.id, "name": "Second"})
    assert (caught.value.code, caught.value.param, caught.value.user_message) == (
        "resource_already_exists",
        "product_data[id]",
        "Product already exists.",
    )
    assert client.v1.products.retrieve(taken.id).name == "First"
    assert len(client.v1.prices.list(params={"limit": 100}).data) == before


def test_a_refused_price_leaves_no_product_behind(client: stripe.StripeClient) -> None:
    product_id = f"prod_orphan_{uuid.uuid4().hex[:8]}"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.create(
            params={"product_data": {"id": product_id, "name": "Orphan"}, "currency": "usd"}
        )
    assert caught.value.param == "unit_amount"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.products.retrieve(product_id)
    assert missing.value.code == "resource_missing"


@pytest.mark.parametrize(
    ("descriptor", "message"),
    [
        ("A" * 23, "Invalid product_data[statement_descriptor]: must be at most 22 characters"),
        (
            'ACME "PRO"',
            "Invalid product_data[statement_descriptor]: must not contain any of these "
            "characters: < > \\ \" '",
        ),
        ("12345", "Invalid product_data[statement_descriptor]: must contain at least one letter"),
    ],
)
def test_statement_descriptor_rules(
    client: stripe.StripeClient, descriptor: str, message: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _price(client, {"name": "Described", "statement_descriptor": descriptor})
    assert (caught.value.param, caught.value.user_message) == (
        "product_data[statement_descriptor]",
        message,
    )


def test_package_dimensions_are_numbers(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={
            "name": "Box",
            "shippable": True,
            "package_dimensions": {"height": 2.5, "length": 10, "weight": 12.25, "width": 4},
        }
    )
    dimensions = product.package_dimensions
    assert dimensions is not None
    shown = (dimensions.height, dimensions.length, dimensions.weight, dimensions.width)
    assert shown == (2.5, 10.0, 12.25, 4.0)
    assert all(isinstance(value, float) for value in shown)
    again = client.v1.products.retrieve(product.id).package_dimensions
    assert again is not None and again.to_dict() == {
        "height": 2.5,
        "length": 10.0,
        "weight": 12.25,
        "width": 4.0,
    }
    updated = client.v1.products.update(
        product.id,
        params={"package_dimensions": {"height": 3, "length": 10, "weight": 1.5, "width": 4}},
    )
    assert updated.package_dimensions is not None
    assert updated.package_dimensions.to_dict()["weight"] == 1.5
    cleared = client.v1.products.update(product.id, params={"package_dimensions": ""})
    assert cleared.package_dimensions is None


def test_package_dimensions_need_all_four_with_two_decimals_at_most(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.create(
            params={
                "name": "Box",
                "package_dimensions": {"height": 1, "length": 1, "weight": 1},  # type: ignore[typeddict-item]
            }
        )
    assert (caught.value.code, caught.value.param) == (
        "parameter_missing",
        "package_dimensions[width]",
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.create(
            params={
                "name": "Box",
                "package_dimensions": {"height": 1.125, "length": 1, "weight": 1, "width": 1},
            }
        )
    assert (caught.value.param, caught.value.user_message) == (
        "package_dimensions[height]",
        "Invalid package_dimensions[height]: must be a non-negative number with at most 2 "
        "decimal places",
    )
