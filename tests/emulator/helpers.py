"""Objects several emulator contract tests make the same way (they run on real Stripe too)."""

from __future__ import annotations

import uuid
from typing import Any

import stripe


def monthly_price(client: stripe.StripeClient, unit_amount: int = 1500) -> stripe.Price:
    """A monthly USD price on a new product of its own."""
    return client.v1.prices.create(
        params={
            "product_data": {"name": f"Monthly {uuid.uuid4().hex[:8]}"},
            "currency": "usd",
            "unit_amount": unit_amount,
            "recurring": {"interval": "month"},
        }
    )


def new_customer(client: stripe.StripeClient, card: bool = True) -> stripe.Customer:
    """A customer, with Stripe's test Visa card as its default payment method unless `card`
    is False."""
    params: dict[str, Any] = {"email": f"c-{uuid.uuid4().hex[:8]}@example.com"}
    if card:
        params.update(
            payment_method="pm_card_visa",
            invoice_settings={"default_payment_method": "pm_card_visa"},
        )
    return client.v1.customers.create(params=params)  # type: ignore[arg-type]


def event_types(client: stripe.StripeClient) -> list[str]:
    """The types of the account's last 100 events, oldest first."""
    listed = client.v1.events.list(params={"limit": 100})
    return [event.type for event in reversed(listed.data)]
