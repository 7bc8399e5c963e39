"""Coupons and promotion codes through the official SDK.

Pages: https://docs.stripe.com/api/coupons/create, https://docs.stripe.com/api/coupons/update,
https://docs.stripe.com/api/promotion_codes/object.
"""

from __future__ import annotations

import uuid

import pytest
import stripe


def _code() -> str:
    return f"C{uuid.uuid4().hex[:10].upper()}"


def test_percent_coupon_shape(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(
        params={"percent_off": 25.5, "duration": "repeating", "duration_in_months": 3}
    )
    assert coupon.object == "coupon"
    assert (coupon.percent_off, coupon.amount_off, coupon.currency) == (25.5, None, None)
    assert (coupon.duration, coupon.duration_in_months) == ("repeating", 3)
    assert (coupon.valid, coupon.times_redeemed, coupon.max_redemptions) == (True, 0, None)
    assert "applies_to" not in coupon


def test_amount_coupon_with_id_products_and_currencies(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Coupon target"})
    coupon_id = _code()
    coupon = client.v1.coupons.create(
        params={
            "id": coupon_id,
            "amount_off": 500,
            "currency": "USD",
            "duration": "once",
            "name": "Five off",
            "max_redemptions": 10,
            "applies_to": {"products": [product.id]},
            "currency_options": {"eur": {"amount_off": 450}},
        }
    )
    assert (coupon.id, coupon.amount_off, coupon.currency) == (coupon_id, 500, "usd")
    expanded = client.v1.coupons.retrieve(
        coupon_id, params={"expand": ["applies_to", "currency_options"]}
    )
    assert expanded.applies_to is not None
    assert expanded.applies_to.products == [product.id]
    assert expanded.currency_options is not None
    assert expanded.currency_options["eur"].amount_off == 450


def test_coupon_validation(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as no_currency:
        client.v1.coupons.create(params={"amount_off": 100, "duration": "once"})
    assert (no_currency.value.code, no_currency.value.param) == ("parameter_missing", "currency")
    with pytest.raises(stripe.InvalidRequestError) as no_months:
        client.v1.coupons.create(params={"percent_off": 10, "duration": "repeating"})
    assert no_months.value.param == "duration_in_months"
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.coupons.create(params={"percent_off": 101})
    assert too_much.value.param == "percent_off"


def test_update_touches_only_name_and_metadata(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10, "duration": "forever"})
    updated = client.v1.coupons.update(
        coupon.id, params={"name": "Ten", "metadata": {"reconciler": "managed"}}
    )
    assert updated.metadata is not None
    assert (updated.name, updated.metadata.to_dict()) == ("Ten", {"reconciler": "managed"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.coupons.update(coupon.id, params={"percent_off": 20})  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.param) == ("parameter_unknown", "percent_off")


def test_delete_coupon(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    deleted = client.v1.coupons.delete(coupon.id)
    assert (deleted.id, deleted.deleted) == (coupon.id, True)
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v1.coupons.retrieve(coupon.id)
    assert gone.value.user_message == f"No such coupon: '{coupon.id}'"


def test_promotion_code_shape_and_restrictions(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 20, "duration": "once"})
    code = _code()
    promotion_code = client.v1.promotion_codes.create(
        params={
            "promotion": {"type": "coupon", "coupon": coupon.id},
            "code": code,
            "max_redemptions": 5,
            "restrictions": {
                "first_time_transaction": True,
                "minimum_amount": 1000,
                "minimum_amount_currency": "usd",
            },
        }
    )
    assert promotion_code.id.startswith("promo_")
    assert promotion_code.object == "promotion_code"
    assert (promotion_code.code, promotion_code.active) == (code, True)
    assert promotion_code.promotion.to_dict() == {"coupon": coupon.id, "type": "coupon"}
    restrictions = promotion_code.restrictions
    assert restrictions.first_time_transaction is True
    assert (restrictions.minimum_amount, restrictions.minimum_amount_currency) == (1000, "usd")
    listed = client.v1.promotion_codes.list(params={"code": code})
    assert [found.id for found in listed.data] == [promotion_code.id]


def test_active_code_is_unique_and_can_be_deactivated(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 5})
    code = _code()
    first = client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": code}
    )
    with pytest.raises(stripe.InvalidRequestError) as taken:
        client.v1.promotion_codes.create(
            params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": code.lower()}
        )
    assert taken.value.param == "code"
    inactive = client.v1.promotion_codes.update(first.id, params={"active": False})
    assert inactive.active is False
