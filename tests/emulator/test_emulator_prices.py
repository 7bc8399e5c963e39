"""Prices through the official SDK: amounts, lookup keys, tiers, the narrow update."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, cast

import pytest
import stripe


@pytest.fixture
def product(client: stripe.StripeClient) -> stripe.Product:
    return client.v1.products.create(params={"name": f"Prices {uuid.uuid4().hex[:8]}"})


def _key() -> str:
    return f"contract_{uuid.uuid4().hex[:12]}"


def test_recurring_price_shape(client: stripe.StripeClient, product: stripe.Product) -> None:
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "USD",
            "unit_amount": 2000,
            "nickname": "Monthly",
            "recurring": {"interval": "month", "interval_count": 3},
            "metadata": {"plan": "pro"},
            "tax_behavior": "exclusive",
        }
    )
    assert price.id.startswith("price_")
    assert price.object == "price"
    assert price.currency == "usd"
    assert (price.unit_amount, price.unit_amount_decimal) == (2000, Decimal("2000"))
    assert price.type == "recurring"
    assert price.billing_scheme == "per_unit"
    assert price.recurring is not None
    assert (price.recurring.interval, price.recurring.interval_count) == ("month", 3)
    assert price.recurring.usage_type == "licensed"
    assert (price.nickname, price.tax_behavior, price.lookup_key) == ("Monthly", "exclusive", None)
    assert price.metadata.to_dict() == {"plan": "pro"}
    assert price.active is True
    assert "tiers" not in price


def test_one_time_and_decimal_amounts(client: stripe.StripeClient, product: stripe.Product) -> None:
    whole = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount_decimal": Decimal("150")}
    )
    assert (whole.type, whole.recurring) == ("one_time", None)
    assert (whole.unit_amount, whole.unit_amount_decimal) == (150, Decimal("150"))
    fractional = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount_decimal": Decimal("0.5")}
    )
    assert (fractional.unit_amount, fractional.unit_amount_decimal) == (None, Decimal("0.5"))


def test_product_data_creates_a_product(client: stripe.StripeClient) -> None:
    price = client.v1.prices.create(
        params={"product_data": {"name": "Inline"}, "currency": "usd", "unit_amount": 100}
    )
    assert client.v1.products.retrieve(str(price.product)).name == "Inline"


def test_required_parameters(client: stripe.StripeClient, product: stripe.Product) -> None:
    with pytest.raises(stripe.InvalidRequestError) as currency:
        client.v1.prices.create(params={"product": product.id, "unit_amount": 1})  # type: ignore[typeddict-item]
    assert (currency.value.code, currency.value.param) == ("parameter_missing", "currency")
    with pytest.raises(stripe.InvalidRequestError) as missing_product:
        client.v1.prices.create(
            params={"product": "prod_nope", "currency": "usd", "unit_amount": 1}
        )
    assert missing_product.value.user_message == "No such product: 'prod_nope'"
    assert missing_product.value.param == "product"


def test_lookup_key_is_unique_unless_transferred(
    client: stripe.StripeClient, product: stripe.Product
) -> None:
    key = _key()
    first = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 100, "lookup_key": key}
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.create(
            params={"product": product.id, "currency": "usd", "unit_amount": 200, "lookup_key": key}
        )
    assert caught.value.user_message == f"A price (`{first.id}`) already uses that lookup key."
    assert caught.value.param == "lookup_key"
    second = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 200,
            "lookup_key": key,
            "transfer_lookup_key": True,
        }
    )
    assert second.lookup_key == key
    assert client.v1.prices.retrieve(first.id).lookup_key is None
    listed = client.v1.prices.list(params={"lookup_keys": [key]})
    assert [price.id for price in listed.data] == [second.id]


def test_lookup_key_transfer_on_update(
    client: stripe.StripeClient, product: stripe.Product
) -> None:
    key = _key()
    first = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 100, "lookup_key": key}
    )
    second = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 200}
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.prices.update(second.id, params={"lookup_key": key})
    moved = client.v1.prices.update(
        second.id, params={"lookup_key": key, "transfer_lookup_key": True}
    )
    assert moved.lookup_key == key
    assert client.v1.prices.retrieve(first.id).lookup_key is None


def test_tiers_only_when_expanded(client: stripe.StripeClient, product: stripe.Product) -> None:
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "billing_scheme": "tiered",
            "tiers_mode": "graduated",
            "recurring": {"interval": "month"},
            "tiers": [
                {"up_to": 10, "unit_amount": 500},
                {"up_to": "inf", "unit_amount_decimal": Decimal("250.5"), "flat_amount": 100},
            ],
        }
    )
    assert (price.billing_scheme, price.tiers_mode, price.unit_amount) == (
        "tiered",
        "graduated",
        None,
    )
    assert "tiers" not in price
    assert "tiers" not in client.v1.prices.retrieve(price.id)
    shown = client.v1.prices.retrieve(price.id, params={"expand": ["tiers"]})
    assert [tier.to_dict() for tier in shown["tiers"]] == [
        {
            "flat_amount": None,
            "flat_amount_decimal": None,
            "unit_amount": 500,
            "unit_amount_decimal": Decimal("500"),
            "up_to": 10,
        },
        {
            "flat_amount": 100,
            "flat_amount_decimal": Decimal("100"),
            "unit_amount": None,
            "unit_amount_decimal": Decimal("250.5"),
            "up_to": None,
        },
    ]
    listed = client.v1.prices.list(params={"product": product.id, "expand": ["data.tiers"]})
    assert len(listed.data[0]["tiers"]) == 2


def test_update_allows_only_the_documented_fields(
    client: stripe.StripeClient, product: stripe.Product
) -> None:
    price = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 100}
    )
    updated = client.v1.prices.update(
        price.id,
        params={
            "nickname": "Nick",
            "metadata": {"a": "b"},
            "active": False,
            "tax_behavior": "inclusive",
        },
    )
    assert (updated.nickname, updated.active, updated.tax_behavior) == ("Nick", False, "inclusive")
    assert updated.metadata.to_dict() == {"a": "b"}
    with pytest.raises(stripe.InvalidRequestError) as amount:
        client.v1.prices.update(price.id, params=cast(Any, {"unit_amount": 5}))
    assert amount.value.code == "parameter_unknown"
    assert amount.value.user_message == "Received unknown parameter: unit_amount"
    with pytest.raises(stripe.InvalidRequestError) as tax:
        client.v1.prices.update(price.id, params={"tax_behavior": "exclusive"})
    assert tax.value.param == "tax_behavior"


def test_default_price_cannot_be_archived_until_unset(
    client: stripe.StripeClient, product: stripe.Product
) -> None:
    """docs.stripe.com/api/products/update (`default_price`): an empty value unsets it. The
    refusal's wording is not in the API reference; it is quoted as real Stripe answers it in
    user reports (e.g. the code corpus: "This price cannot be archived because it is the
    default price of its product.", answered by `default_price=` first)."""
    price = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 100}
    )
    client.v1.products.update(product.id, params={"default_price": price.id})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.update(price.id, params={"active": False})
    assert caught.value.user_message == (
        "This price cannot be archived because it is the default price of its product."
    )
    assert client.v1.prices.retrieve(price.id).active is True
    unset = client.v1.products.update(product.id, params={"default_price": ""})
    assert unset.default_price is None
    assert client.v1.prices.update(price.id, params={"active": False}).active is False
    archived = client.v1.products.update(product.id, params={"active": False})
    assert (archived.active, archived.default_price) == (False, None)


def test_list_filters_and_expands_product(
    client: stripe.StripeClient, product: stripe.Product
) -> None:
    monthly = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 100,
            "recurring": {"interval": "month"},
        }
    )
    yearly = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "eur",
            "unit_amount": 1000,
            "recurring": {"interval": "year"},
        }
    )
    once = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 5, "active": False}
    )

    def ids(**params: object) -> list[str]:
        found = client.v1.prices.list(params=cast(Any, {"product": product.id, **params}))
        return [price.id for price in found.data]

    assert ids() == [yearly.id, monthly.id]
    assert ids(type="one_time") == []
    assert ids(type="one_time", active=False) == [once.id]
    assert ids(currency="eur") == [yearly.id]
    assert ids(active=True) == [yearly.id, monthly.id]
    assert ids(active=False) == [once.id]
    assert ids(recurring={"interval": "month"}) == [monthly.id]
    expanded = client.v1.prices.list(
        params={"product": product.id, "limit": 1, "expand": ["data.product"]}
    )
    assert expanded.data[0].product.id == product.id  # type: ignore[union-attr]
    assert expanded.data[0].product.name == product.name  # type: ignore[union-attr]


def test_list_without_active_lists_only_active_prices(
    client: stripe.StripeClient, product: stripe.Product
) -> None:
    """docs.stripe.com/api/prices/list: "Returns a list of your active prices ... For the list
    of inactive prices, set `active` to false." """
    kept = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 100}
    )
    archived = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 200}
    )
    client.v1.prices.update(archived.id, params={"active": False})

    def ids(**params: object) -> list[str]:
        found = client.v1.prices.list(params=cast(Any, {"product": product.id, **params}))
        return [price.id for price in found.data]

    assert ids() == [kept.id]
    assert ids(active=False) == [archived.id]
    assert client.v1.prices.retrieve(archived.id).active is False


@pytest.mark.emulator_only
def test_search_by_product_lookup_key_and_metadata(
    client: stripe.StripeClient, product: stripe.Product
) -> None:
    key = _key()
    wanted = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1,
            "lookup_key": key,
            "metadata": {"plan": "pro"},
        }
    )
    client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 2})
    for query in (
        f"lookup_key:'{key}'",
        "metadata['plan']:'pro'",
        f"product:'{product.id}' AND metadata['plan']:'pro' AND active:'true'",
    ):
        found = client.v1.prices.search(params={"query": query})
        assert [price.id for price in found.data] == [wanted.id], query


def test_invalid_interval(client: stripe.StripeClient, product: stripe.Product) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.create(
            params=cast(
                Any,
                {
                    "product": product.id,
                    "currency": "usd",
                    "unit_amount": 1,
                    "recurring": {"interval": "fortnight"},
                },
            )
        )
    assert caught.value.param == "recurring[interval]"


def test_interval_count_up_to_three_years(
    client: stripe.StripeClient, product: stripe.Product
) -> None:
    """docs.stripe.com/api/prices/create (recurring.interval_count): "Maximum of three years
    interval allowed (3 years, 36 months, or 156 weeks)." The refusal's wording is not
    documented, so only its parameter is asserted."""
    for interval, top in (("month", 36), ("week", 156), ("year", 3)):
        made = client.v1.prices.create(
            params=cast(
                Any,
                {
                    "product": product.id,
                    "currency": "usd",
                    "unit_amount": 100,
                    "recurring": {"interval": interval, "interval_count": top},
                },
            )
        )
        assert made.recurring is not None and made.recurring.interval_count == top
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.prices.create(
                params=cast(
                    Any,
                    {
                        "product": product.id,
                        "currency": "usd",
                        "unit_amount": 100,
                        "recurring": {"interval": interval, "interval_count": top + 1},
                    },
                )
            )
        assert caught.value.param == "recurring[interval_count]", interval


def test_lookup_keys_filter_takes_at_most_ten(
    client: stripe.StripeClient, product: stripe.Product
) -> None:
    """docs.stripe.com/api/prices/list (lookup_keys): "You can specify up to 10 lookup_keys."
    The refusal's wording is not documented, so only its parameter is asserted."""
    keys = [_key() for _ in range(11)]
    assert client.v1.prices.list(params={"lookup_keys": keys[:10]}).data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.list(params={"lookup_keys": keys})
    assert caught.value.param == "lookup_keys"
