"""The flow whose answers test_emulator_node_types.py checks: through the official Python
SDK, it makes the emulator answer from every route it registers and send every event type,
with objects in the states that shape them (trialing, canceled, incomplete and past-due
subscriptions, renewals, a completed Checkout Session, tiered, metered, decimal and
custom-amount prices, expanded fields, deleted objects) and errors (400, 401, 402, 404).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
import stripe

from reconciler.testing import EmulatorControl

DAY = 86_400


def catalog(client: stripe.StripeClient) -> dict[str, Any]:
    """Products and prices in their shapes: flat, decimal, tiered, metered, with options."""
    product = client.v1.products.create(
        params={
            "name": "Pro",
            "description": "The pro plan",
            "metadata": {"plan": "pro"},
            "marketing_features": [{"name": "SSO"}],
            "package_dimensions": {"height": 1.5, "length": 2, "weight": 3, "width": 4},
            "statement_descriptor": "PRO PLAN",
            "unit_label": "seat",
            "url": "https://example.com/pro",
            "default_price_data": {
                "currency": "usd",
                "unit_amount": 1500,
                "recurring": {"interval": "month"},
            },
            "expand": ["default_price"],
        }
    )
    client.v1.products.update(product.id, params={"metadata": {"tier": "2"}})
    client.v1.products.retrieve(product.id)
    client.v1.products.list(params={"limit": 2, "expand": ["data.default_price"]})
    client.v1.products.search(params={"query": "active:'true'", "expand": ["total_count"]})
    meter = client.v1.billing.meters.create(
        params={
            "display_name": "API calls",
            "event_name": f"calls_{uuid.uuid4().hex[:8]}",
            "default_aggregation": {"formula": "sum"},
        }
    )
    client.v1.billing.meters.update(meter.id, params={"display_name": "Calls"})
    client.v1.billing.meters.retrieve(meter.id)
    client.v1.billing.meters.list()
    metered = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount_decimal": Decimal("0.25"),
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id},
        }
    )
    tiered = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "billing_scheme": "tiered",
            "tiers_mode": "graduated",
            "tiers": [
                {"up_to": 10, "unit_amount": 500, "flat_amount": 100},
                {"up_to": "inf", "unit_amount_decimal": Decimal("2.5")},
            ],
            "recurring": {"interval": "year"},
            "lookup_key": f"tiered_{uuid.uuid4().hex[:8]}",
            "expand": ["tiers"],
        }
    )
    client.v1.prices.create(
        params={
            "product_data": {"name": "Setup fee"},
            "currency": "eur",
            "unit_amount": 900,
            "currency_options": {"usd": {"unit_amount": 1000}},
            "transform_quantity": {"divide_by": 10, "round": "up"},
            "nickname": "setup",
            "tax_behavior": "exclusive",
            "expand": ["currency_options"],
        }
    )
    client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "custom_unit_amount": {"enabled": True, "minimum": 500},
        }
    )
    client.v1.prices.update(tiered.id, params={"nickname": "Tiered", "expand": ["tiers"]})
    client.v1.prices.retrieve(metered.id, params={"expand": ["product"]})
    client.v1.prices.list(params={"product": product.id, "expand": ["data.tiers"]})
    client.v1.prices.search(params={"query": f"product:'{product.id}'"})
    feature = client.v1.entitlements.features.create(
        params={"lookup_key": f"sso_{uuid.uuid4().hex[:8]}", "name": "SSO"}
    )
    client.v1.entitlements.features.update(feature.id, params={"metadata": {"k": "v"}})
    client.v1.entitlements.features.retrieve(feature.id)
    client.v1.entitlements.features.list()
    attached = client.v1.products.features.create(
        product.id, params={"entitlement_feature": feature.id}
    )
    client.v1.products.features.retrieve(product.id, attached.id)
    client.v1.products.features.list(product.id)
    return {"product": product, "metered": metered, "tiered": tiered, "meter": meter}


def billing(client: stripe.StripeClient, control: EmulatorControl, made: dict[str, Any]) -> None:
    """Customers, cards, subscriptions in their states, invoices, usage and entitlements."""
    product, meter = made["product"], made["meter"]
    price_id = product.default_price.id
    customer = client.v1.customers.create(
        params={
            "email": "ada@example.com",
            "name": "Ada",
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    client.v1.customers.update(customer.id, params={"metadata": {"crm": "7"}})
    client.v1.customers.retrieve(
        customer.id, params={"expand": ["invoice_settings.default_payment_method"]}
    )
    client.v1.customers.list(params={"email": "ada@example.com"})
    client.v1.customers.search(params={"query": "email:'ada@example.com'"})
    card = client.v1.payment_methods.attach("pm_card_mastercard", params={"customer": customer.id})
    client.v1.payment_methods.retrieve(card.id)
    client.v1.payment_methods.list(params={"customer": customer.id})
    client.v1.customers.payment_methods.list(customer.id)
    client.v1.payment_methods.detach(card.id)
    active = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price_id}, {"price": made["metered"].id}],
            "expand": ["latest_invoice", "customer"],
        }
    )
    client.v1.subscriptions.update(
        active.id, params={"cancel_at_period_end": True, "metadata": {"seat": "1"}}
    )
    client.v1.subscriptions.retrieve(active.id, params={"expand": ["items.data.price.product"]})
    client.v1.billing.meter_events.create(
        params={
            "event_name": meter.event_name,
            "payload": {"stripe_customer_id": customer.id, "value": "3"},
        }
    )
    start = control.now() // 60 * 60
    client.v1.billing.meters.event_summaries.list(
        meter.id, params={"customer": customer.id, "start_time": start, "end_time": start + 3600}
    )
    client.v1.billing.meters.deactivate(meter.id)
    client.v1.billing.meters.reactivate(meter.id)
    client.v1.entitlements.active_entitlements.list(params={"customer": customer.id})
    entitlement = client.v1.entitlements.active_entitlements.list(
        params={"customer": customer.id}
    ).data[0]
    client.v1.entitlements.active_entitlements.retrieve(entitlement.id)
    trialing = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price_id}], "trial_period_days": 2}
    )
    client.v1.subscriptions.cancel(trialing.id)
    broke = client.v1.customers.create(params={"email": "broke@example.com"})
    client.v1.subscriptions.create(params={"customer": broke.id, "items": [{"price": price_id}]})
    failing = client.v1.customers.create(
        params={
            "payment_method": "pm_card_chargeCustomerFail",
            "invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"},
        }
    )
    client.v1.subscriptions.create(params={"customer": failing.id, "items": [{"price": price_id}]})
    control.advance(40 * DAY)  # renewals, an expired incomplete subscription
    client.v1.subscriptions.list(params={"status": "all", "expand": ["data.customer"]})
    invoices = client.v1.invoices.list(params={"customer": customer.id})
    client.v1.invoices.retrieve(
        invoices.data[0].id, params={"expand": ["parent.subscription_details.subscription"]}
    )
    made["customer"] = customer.id
    client.v1.customers.delete(broke.id)
    client.v1.customers.retrieve(broke.id)


def checkout_and_portal(
    client: stripe.StripeClient, control: EmulatorControl, made: dict[str, Any]
) -> None:
    price_id = made["product"].default_price.id
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price_id, "quantity": 2}],
            "customer_email": "new@example.com",
            "success_url": "https://example.com/ok",
            "subscription_data": {"trial_period_days": 7, "metadata": {"from": "checkout"}},
        }
    )
    client.v1.checkout.sessions.line_items.list(session.id)
    completed = control.complete_checkout(session.id)
    client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": made["customer"],
            "line_items": [{"price": made["tiered"].id, "quantity": 1}],
            "success_url": "https://example.com/ok",
        }
    )
    client.v1.checkout.sessions.list(params={"limit": 3})
    configuration = client.v1.billing_portal.configurations.create(
        params={
            "features": {
                "invoice_history": {"enabled": True},
                "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
            },
            "business_profile": {"headline": "Your plan"},
            "default_return_url": "https://example.com/account",
        }
    )
    client.v1.billing_portal.configurations.update(configuration.id, params={"name": "Main"})
    client.v1.billing_portal.configurations.retrieve(configuration.id)
    client.v1.billing_portal.configurations.list()
    client.v1.billing_portal.sessions.create(
        params={"customer": completed["customer"], "configuration": configuration.id}
    )
    control.advance(6 * DAY)  # the Checkout trial's trial_will_end


def coupons_and_the_rest(client: stripe.StripeClient, made: dict[str, Any]) -> None:
    coupon = client.v1.coupons.create(
        params={"percent_off": 20, "duration": "repeating", "duration_in_months": 3}
    )
    fixed = client.v1.coupons.create(
        params={"amount_off": 500, "currency": "usd", "expand": ["currency_options", "applies_to"]}
    )
    client.v1.coupons.update(coupon.id, params={"name": "Twenty"})
    client.v1.coupons.retrieve(coupon.id)
    client.v1.coupons.list()
    code = client.v1.promotion_codes.create(
        params={
            "promotion": {"type": "coupon", "coupon": coupon.id},
            "code": f"SAVE{uuid.uuid4().hex[:6].upper()}",
            "restrictions": {"minimum_amount": 1000, "minimum_amount_currency": "usd"},
        }
    )
    client.v1.promotion_codes.update(code.id, params={"metadata": {"k": "v"}})
    client.v1.promotion_codes.retrieve(code.id)
    client.v1.promotion_codes.list(params={"coupon": coupon.id})
    client.v1.coupons.delete(fixed.id)
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": "https://example.com/hook", "enabled_events": ["*"]}
    )
    client.v1.webhook_endpoints.retrieve(endpoint.id)
    client.v1.webhook_endpoints.update(
        endpoint.id, params={"disabled": True, "description": "off", "metadata": {"k": "v"}}
    )
    client.v1.webhook_endpoints.list()
    client.v1.webhook_endpoints.delete(endpoint.id)
    product = client.v1.products.create(params={"name": "Gone"})
    client.v1.products.update(product.id, params={"active": False})
    client.v1.products.delete(product.id)
    made_product = made["product"]
    feature = client.v1.products.features.list(made_product.id).data[0]
    client.v1.products.features.delete(made_product.id, feature.id)


def errors(client: stripe.StripeClient, proxy_url: str) -> None:
    """404, unknown parameter, card error, idempotency mismatch and a refused key."""
    stranger = stripe.StripeClient(
        "sk_live_not_a_test_key", base_addresses={"api": proxy_url}, max_network_retries=0
    )
    failures: list[Any] = [
        lambda: stranger.v1.products.list(),
        lambda: client.v1.products.retrieve("prod_missing"),
        lambda: client.v1.products.create(params={"name": "x", "bogus": 1}),  # type: ignore[typeddict-unknown-key]
        lambda: client.v1.payment_methods.attach(
            "pm_card_chargeDeclined",
            params={"customer": client.v1.customers.create().id},
        ),
        lambda: client.v1.products.create(
            params={"name": "other"}, options={"idempotency_key": "same-key"}
        ),
    ]
    client.v1.products.create(params={"name": "one"}, options={"idempotency_key": "same-key"})
    for failure in failures:
        with pytest.raises(stripe.StripeError):
            failure()


def every_event_type(client: stripe.StripeClient) -> set[str]:
    seen: set[str] = set()
    for event in client.v1.events.list(params={"limit": 100}).auto_paging_iter():
        seen.add(event.type)
    first = client.v1.events.list(params={"limit": 1}).data[0]
    client.v1.events.retrieve(first.id)
    return seen
