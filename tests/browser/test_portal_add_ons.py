"""An add-on removed in the Billing Portal, clicked in headless Chromium, reaches the served
app through its webhooks and leaves the base plan's limits.

Stripe's portal can only cancel a subscription with several products, never update it
(docs.stripe.com/customer-management, "Customer portal limitations"), so a customer cannot
take one item out of a base-plus-add-ons subscription there. The documented way is an add-on
on a subscription of its own, which the customer cancels: here at the period's end, Stripe's
default mode, after which the emulator's clock moves past that end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import stripe
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from reconciler.model import Plans
from reconciler.testing import EmulatorControl
from tests.browser.conftest import submit, text_of
from tests.runtime.conftest import Served, plans_folder, served
from tests.runtime.test_add_ons import FILES

__all__ = ["served"]

BASE_AND_SEATS = {"seats": 5, "credits": 1000, "api-calls": 100}
BASE_FEATURES = {"Priority Support": False, "Max projects": 5, "Support": "email"}


@pytest.fixture
def plans(tmp_path: Path) -> Plans:
    return plans_folder(tmp_path / "plans", FILES)


def _items(client: stripe.StripeClient, customer: str, items: list[dict[str, Any]]) -> str:
    params: Any = {"customer": customer, "items": items}
    return str(client.v1.subscriptions.create(params=params).id)


def _portal_configuration(client: stripe.StripeClient, price_ids: dict[str, str]) -> str:
    """Plan switches and quantities for the team and credit-pack prices, cancellation at the
    end of the period (Stripe's default mode)."""
    prices = [client.v1.prices.retrieve(price_ids[k]) for k in ("team_monthly", "credits_monthly")]
    features: Any = {
        "subscription_update": {
            "enabled": True,
            "default_allowed_updates": ["price", "quantity"],
            "products": [{"product": str(p.product), "prices": [p.id]} for p in prices],
        },
        "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
    }
    return client.v1.billing_portal.configurations.create(params={"features": features}).id


def test_cancelling_the_credit_pack_subscription_in_the_portal_takes_its_limits_away(
    browser: WebDriver,
    served: Served,
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    price_ids: dict[str, str],
) -> None:
    billing = served.billing
    customer = billing.create_stripe_customer("org_1")
    card = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer})
    stripe_client.v1.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": card.id}}
    )
    base = _items(
        stripe_client,
        customer,
        [{"price": price_ids["team_monthly"]}, {"price": price_ids["seat_monthly"], "quantity": 3}],
    )
    packs = _items(
        stripe_client, customer, [{"price": price_ids["credits_monthly"], "quantity": 2}]
    )
    assert emulator.flush_webhooks() == 0
    assert billing.entitlements("org_1") == {
        "status": "active",
        "plan": "team",
        "limits": {"seats": 5, "credits": 2000, "api-calls": 100},
        "features": {"Priority Support": True, "Max projects": 10, "Support": "email"},
    }

    url = billing.get_portal("org_1", configuration=_portal_configuration(stripe_client, price_ids))
    browser.get(url)
    # Base plan and seats: several products, so the portal offers cancelling only.
    rows = browser.find_elements(By.CSS_SELECTOR, f"#{base} li.item")
    assert [
        (r.get_attribute("data-price"), r.find_element(By.CLASS_NAME, "quantity").text)
        for r in rows
    ] == [(price_ids["team_monthly"], "1"), (price_ids["seat_monthly"], "3")]
    assert browser.find_elements(By.CSS_SELECTOR, f"#{base} form.update") == []
    assert browser.find_element(By.CSS_SELECTOR, f"#{base} .cancel-only").text == (
        "Only cancelling is possible here: it has multiple products."
    )
    assert browser.find_elements(By.CSS_SELECTOR, f"#{base} form.cancel") != []
    # The credit packs, a subscription of one product: updatable and cancellable.
    assert browser.find_elements(By.CSS_SELECTOR, f"#{packs} form.update") != []

    submit(browser, f"#{packs} form.cancel button")
    assert text_of(browser, f"#{packs} .cancels") == "cancels at the end of the period"
    assert emulator.flush_webhooks() == 0
    # Cancelled at the period's end: paid for until then, so the packs still count.
    assert billing.entitlements("org_1")["limits"] == {
        "seats": 5,
        "credits": 2000,
        "api-calls": 100,
    }
    end = stripe_client.v1.subscriptions.retrieve(packs)["items"].data[0].current_period_end

    emulator.advance(end - emulator.now() + 60)
    assert emulator.flush_webhooks() == 0
    assert stripe_client.v1.subscriptions.retrieve(packs).status == "canceled"
    assert stripe_client.v1.subscriptions.retrieve(base).status == "active"
    assert billing.entitlements("org_1") == {
        "status": "active",
        "plan": "team",
        "limits": BASE_AND_SEATS,
        "features": BASE_FEATURES,
    }
    assert billing.get_subscription("org_1")["items"] == [
        {"price_id": price_ids["team_monthly"], "quantity": 1},
        {"price_id": price_ids["seat_monthly"], "quantity": 3},
    ]
