"""The hosted Billing Portal page keeps Stripe's documented limitations: a subscription with
multiple products or usage-based billing can only be cancelled there, never updated, whatever
the configuration grants (docs.stripe.com/customer-management, "Customer portal
limitations"). Read over plain HTTP; the clicks are in tests/browser.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest
import stripe

pytestmark = pytest.mark.emulator_only


def _price(client: stripe.StripeClient, name: str, **recurring: Any) -> Any:
    product = client.v1.products.create(params={"name": name})
    params: Any = {
        "product": product.id,
        "currency": "usd",
        "unit_amount": 500,
        "recurring": {"interval": "month", **recurring},
    }
    return client.v1.prices.create(params=params)


def _metered(client: stripe.StripeClient) -> Any:
    meter = client.v1.billing.meters.create(
        params={
            "display_name": "API calls",
            "event_name": f"calls_{uuid.uuid4().hex[:12]}",
            "default_aggregation": {"formula": "sum"},
        }
    )
    return _price(client, "Calls", usage_type="metered", meter=meter.id)


def _portal(client: stripe.StripeClient, prices: list[Any]) -> tuple[str, str]:
    """A customer with a card, a subscription to `prices`, and a portal that grants plan
    and quantity changes and cancelling: (portal url, subscription id)."""
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    card = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": card.id}}
    )
    items: Any = [{"price": price.id} for price in prices]
    sub = client.v1.subscriptions.create(params={"customer": customer.id, "items": items})
    features: Any = {
        "subscription_update": {
            "enabled": True,
            "default_allowed_updates": ["price", "quantity"],
            "products": [{"product": str(p.product), "prices": [p.id]} for p in prices],
        },
        "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
    }
    configuration = client.v1.billing_portal.configurations.create(params={"features": features})
    session = client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "configuration": configuration.id}
    )
    return str(session.url), sub.id


def _post(url: str, form: dict[str, str]) -> tuple[int, str]:
    data = urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as page:
            return page.status, page.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("products", "it has multiple products"), ("metered", "it has usage-based billing")],
)
def test_such_a_subscription_can_be_cancelled_but_not_updated(
    client: stripe.StripeClient, kind: str, reason: str
) -> None:
    base = _price(client, "Team")
    other = _price(client, "Seats") if kind == "products" else _metered(client)
    url, sub_id = _portal(client, [base, other] if kind == "products" else [other])
    with urllib.request.urlopen(url, timeout=10) as page:
        html = page.read().decode()
    assert f"<p class='cancel-only'>Only cancelling is possible here: {reason}.</p>" in html
    assert "class='update'" not in html
    assert f"<form method='post' action='{urllib.parse.urlparse(url).path}/cancel'" in html

    status, html = _post(f"{url}/update", {"subscription": sub_id, "quantity": "4"})
    assert status == 403
    message = f"This portal can only cancel this subscription: {reason}."
    assert f"<p class='error' id='error'>{message}</p>" in html
    assert [i.quantity for i in client.v1.subscriptions.retrieve(sub_id)["items"].data] == [1] * (
        2 if kind == "products" else 1
    )

    assert _post(f"{url}/cancel", {"subscription": sub_id})[0] == 200
    assert client.v1.subscriptions.retrieve(sub_id).cancel_at_period_end is True


def test_a_subscription_of_one_licensed_product_can_be_updated(
    client: stripe.StripeClient,
) -> None:
    url, sub_id = _portal(client, [_price(client, "Team")])
    with urllib.request.urlopen(url, timeout=10) as page:
        html = page.read().decode()
    assert "cancel-only" not in html
    assert "class='update'" in html
    assert _post(f"{url}/update", {"subscription": sub_id, "quantity": "4"})[0] == 200
    assert client.v1.subscriptions.retrieve(sub_id)["items"].data[0].quantity == 4


def test_an_update_in_the_portal_ends_a_trial_and_invoices_at_once(
    client: stripe.StripeClient,
) -> None:
    """Customer portal limitations: "Customer modifications to a trialing subscription will
    end the free trial and create an invoice for immediate payment"."""
    url, sub_id = _portal(client, [_price(client, "Team")])
    far = int(client.v1.subscriptions.retrieve(sub_id)["items"].data[0].current_period_end)
    client.v1.subscriptions.update(sub_id, params={"trial_end": far + 86_400 * 10})
    trialing = client.v1.subscriptions.retrieve(sub_id)
    assert (trialing.status, trialing.trial_end) == ("trialing", far + 86_400 * 10)
    invoices_before = len(client.v1.invoices.list(params={"subscription": sub_id}).data)

    assert _post(f"{url}/update", {"subscription": sub_id, "quantity": "3"})[0] == 200
    updated = client.v1.subscriptions.retrieve(sub_id)
    assert (updated.status, updated["items"].data[0].quantity) == ("active", 3)
    assert updated.trial_end == updated.billing_cycle_anchor
    assert updated.trial_end is not None and updated.trial_end < far
    invoices = client.v1.invoices.list(params={"subscription": sub_id}).data
    assert len(invoices) == invoices_before + 1
    assert (invoices[0].billing_reason, invoices[0].status) == ("subscription_update", "paid")
    assert invoices[0].amount_paid == 1500
