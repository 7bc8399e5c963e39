"""The hand-made account of issue 17, built through the SDK as a team would in the Dashboard:
nothing carries the tool's metadata or a lookup key.

- 4 products: Starter, Pro, API, Donations;
- 7 prices, 6 of them active: Starter monthly and yearly, Pro monthly (with EUR and GBP
  currency options) and yearly, an archived Pro monthly price a grandfathered subscriber still
  pays, API usage metered on the `api_requests` meter, Donations at a custom amount;
- coupons `BLACKFRIDAY` (its own id) and "Welcome credit" (an id Stripe generated);
- promotion code `FRIDAY25` for `BLACKFRIDAY`;
- the Entitlements feature "Single sign-on" (`single-sign-on`), attached to Pro by hand;
- the portal configuration the Dashboard makes (the account's default).

`build_takeover_account` returns the ids, so adoption tests can check every id is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import stripe

from reconciler.testing import EmulatorControl


@dataclass(frozen=True)
class TakeoverAccount:
    """The ids Stripe gave the hand-made objects (names as in the module docstring)."""

    products: dict[str, str] = field(default_factory=dict)
    prices: dict[str, str] = field(default_factory=dict)
    meter: str = ""
    coupons: dict[str, str] = field(default_factory=dict)
    promotion_code: str = ""
    feature: str = ""
    portal_configuration: str = ""
    grandfathered_subscription: str = ""
    grandfathered_customer: str = ""


def _create(service: Any, params: dict[str, Any]) -> str:
    given: Any = params  # the SDK's TypedDicts, built as plain dicts here
    return str(service.create(params=given).id)


def build_takeover_account(
    client: stripe.StripeClient, emulator: EmulatorControl
) -> TakeoverAccount:
    products = {
        name: _create(client.v1.products, {"name": name, **extra})
        for name, extra in (
            ("Starter", {"description": "For individuals"}),
            ("Pro", {"description": "For teams"}),
            ("API", {"unit_label": "request"}),
            ("Donations", {}),
        )
    }
    meter = _create(
        client.v1.billing.meters,
        {
            "display_name": "API requests",
            "event_name": "api_requests",
            "default_aggregation": {"formula": "sum"},
        },
    )
    monthly = {"interval": "month"}
    specs: dict[str, dict[str, Any]] = {
        "starter_monthly": {"product": "Starter", "unit_amount": 900, "recurring": monthly},
        "starter_yearly": {
            "product": "Starter",
            "unit_amount": 9000,
            "recurring": {"interval": "year"},
        },
        "pro_2019": {"product": "Pro", "unit_amount": 1900, "recurring": monthly},
        "pro_monthly": {
            "product": "Pro",
            "unit_amount": 2900,
            "recurring": monthly,
            "currency_options": {"eur": {"unit_amount": 2700}, "gbp": {"unit_amount": 2500}},
        },
        "pro_yearly": {"product": "Pro", "unit_amount": 29000, "recurring": {"interval": "year"}},
        "api_usage": {
            "product": "API",
            "unit_amount_decimal": "0.5",
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter},
        },
        "donation": {
            "product": "Donations",
            "custom_unit_amount": {"enabled": True, "minimum": 100, "preset": 500},
        },
    }
    prices = {
        name: _create(
            client.v1.prices,
            {**spec, "product": products[spec["product"]], "currency": "usd"},
        )
        for name, spec in specs.items()
    }
    for product, price in (("Starter", "starter_monthly"), ("Pro", "pro_monthly")):
        params: Any = {"default_price": prices[price]}
        client.v1.products.update(products[product], params=params)
    customer: Any = client.v1.customers.create(
        params={
            "email": "grandfathered@example.com",
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    subscription = _create(
        client.v1.subscriptions,
        {"customer": customer.id, "items": [{"price": prices["pro_2019"]}]},
    )
    client.v1.prices.update(prices["pro_2019"], params={"active": False})
    coupons = {
        "BLACKFRIDAY": _create(
            client.v1.coupons, {"id": "BLACKFRIDAY", "percent_off": 25, "duration": "once"}
        ),
        "welcome": _create(
            client.v1.coupons,
            {"name": "Welcome credit", "amount_off": 500, "currency": "usd", "duration": "once"},
        ),
    }
    code = _create(
        client.v1.promotion_codes,
        {"code": "FRIDAY25", "promotion": {"type": "coupon", "coupon": "BLACKFRIDAY"}},
    )
    feature = _create(
        client.v1.entitlements.features,
        {"name": "Single sign-on", "lookup_key": "single-sign-on"},
    )
    attach: Any = {"entitlement_feature": feature}
    client.v1.products.features.create(products["Pro"], params=attach)
    portal = emulator.save_portal_settings()
    return TakeoverAccount(
        products=products,
        prices=prices,
        meter=meter,
        coupons=coupons,
        promotion_code=code,
        feature=feature,
        portal_configuration=portal,
        grandfathered_subscription=subscription,
        grandfathered_customer=str(customer.id),
    )
