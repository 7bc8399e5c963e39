"""The emulator's hosted Billing Portal page, clicked in headless Chromium: the customer does
what the portal configuration allows (switch plan, change quantity, cancel at period end,
update the card), and the application running `reconciler serve` sees each change through
its webhooks. What the configuration does not allow is neither shown nor accepted."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest
import stripe
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from reconciler.testing import EmulatorControl
from tests.browser.conftest import ServedApp, submit, text_of, type_into

EVERYTHING: dict[str, Any] = {
    "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
    "payment_method_update": {"enabled": True},
}


def _subscribed(serve: ServedApp, emulator: EmulatorControl, user: str, price: str) -> str:
    """The user pays `price` through Checkout; returns the subscription id."""
    emulator.complete_checkout(serve.billing.checkout_session(user, price).id)
    assert emulator.flush_webhooks() == 0
    return str(serve.subscription(user, lambda s: s["status"] != "none")["subscription_id"])


def _configuration(
    client: stripe.StripeClient, price_ids: dict[str, str], features: dict[str, Any]
) -> str:
    prices = [
        client.v1.prices.retrieve(price_ids[key]) for key in ("pro_monthly", "standard_monthly")
    ]
    update = {
        "enabled": True,
        "default_allowed_updates": ["price", "quantity"],
        "products": [{"product": str(p.product), "prices": [p.id]} for p in prices],
    }
    params: Any = {"features": {"subscription_update": update, **features}}
    created = client.v1.billing_portal.configurations.create(params=params)
    return created.id


def _portal(client: stripe.StripeClient, serve: ServedApp, user: str, configuration: str) -> str:
    customer = serve.billing.store.get_customer(user)
    session = client.v1.billing_portal.sessions.create(
        params={"customer": str(customer), "configuration": configuration, "return_url": serve.url}
    )
    return str(session.url)


def _settled(emulator: EmulatorControl, browser: WebDriver, css: str, text: str) -> None:
    """The page the form's answer loaded shows `text` in `css`; then wait for the webhooks."""
    assert text_of(browser, css) == text
    assert emulator.flush_webhooks() == 0


def test_the_customer_switches_plan_quantity_cancels_and_updates_the_card(
    browser: WebDriver,
    serve: ServedApp,
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    price_ids: dict[str, str],
) -> None:
    sub_id = _subscribed(serve, emulator, "user_1", "pro_monthly")
    browser.get(
        _portal(
            stripe_client, serve, "user_1", _configuration(stripe_client, price_ids, EVERYTHING)
        )
    )
    section = f"#{sub_id}"

    Select(browser.find_element(By.CSS_SELECTOR, f"{section} select[name=price]")).select_by_value(
        price_ids["standard_monthly"]
    )
    type_into(browser, f"{section} input[name=quantity]", "3")
    submit(browser, f"{section} form.update button")
    _settled(emulator, browser, f"{section} .quantity", "3")
    item = stripe_client.v1.subscriptions.retrieve(sub_id)["items"].data[0]
    assert (item.price.id, item.quantity) == (price_ids["standard_monthly"], 3)
    standard = price_ids["standard_monthly"]
    cached = serve.subscription("user_1", lambda s: s["price_id"] == standard)
    assert (cached["price_id"], cached["status"]) == (standard, "active")
    assert cached["items"] == [{"price_id": standard, "quantity": 3}]
    assert serve.billing.entitlements("user_1")["plan"] == "standard"

    submit(browser, f"{section} form.cancel button")
    _settled(emulator, browser, f"{section} .cancels", "cancels at the end of the period")
    cached = serve.subscription("user_1", lambda s: s["cancel_at_period_end"])
    assert (cached["cancel_at_period_end"], cached["status"]) == (True, "active")

    type_into(browser, "#card-number", "5555 5555 5555 4444")
    submit(browser, "#payment-method button")
    _settled(emulator, browser, "#card", "mastercard •••• 4444")
    mastercard = {"brand": "mastercard", "last4": "4444"}
    cached = serve.subscription("user_1", lambda s: s["payment_method"] == mastercard)
    assert cached["payment_method"] == mastercard

    submit(browser, f"{section} form.renew button")
    _settled(emulator, browser, f"{section} form button", "Update plan")
    assert browser.find_elements(By.CSS_SELECTOR, f"{section} .cancels") == []
    cached = serve.subscription("user_1", lambda s: not s["cancel_at_period_end"])
    assert cached["cancel_at_period_end"] is False
    assert browser.find_element(By.ID, "return").get_attribute("href") == f"{serve.url}/"


def test_what_the_configuration_does_not_allow_is_neither_shown_nor_accepted(
    browser: WebDriver,
    serve: ServedApp,
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    price_ids: dict[str, str],
) -> None:
    sub_id = _subscribed(serve, emulator, "user_2", "pro_monthly")
    cards_only = stripe_client.v1.billing_portal.configurations.create(
        params={"features": {"payment_method_update": {"enabled": True}}}
    )
    url = _portal(stripe_client, serve, "user_2", cards_only.id)
    browser.get(url)
    assert browser.find_elements(By.CSS_SELECTOR, f"#{sub_id} form") == []
    assert browser.find_elements(By.ID, "payment-method") != []

    form = f"subscription={sub_id}&price={price_ids['standard_monthly']}".encode()
    for action, message in (
        ("update", "This portal does not allow changing plans."),
        ("cancel", "This portal does not allow cancelling."),
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(f"{url}/{action}", data=form), timeout=10)
        assert refused.value.code == 403
        assert f"<p class='error' id='error'>{message}</p>" in refused.value.read().decode()
    subscription = stripe_client.v1.subscriptions.retrieve(sub_id)
    assert subscription["items"].data[0].price.id == price_ids["pro_monthly"]
    assert subscription.cancel_at_period_end is False


def test_a_portal_that_cancels_immediately_ends_the_subscription(
    browser: WebDriver,
    serve: ServedApp,
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
) -> None:
    sub_id = _subscribed(serve, emulator, "user_3", "pro_monthly")
    immediately = stripe_client.v1.billing_portal.configurations.create(
        params={"features": {"subscription_cancel": {"enabled": True, "mode": "immediately"}}}
    )
    browser.get(_portal(stripe_client, serve, "user_3", immediately.id))
    assert browser.find_elements(By.CSS_SELECTOR, f"#{sub_id} form.update") == []
    submit(browser, f"#{sub_id} form.cancel button")
    # The page comes back without the subscription.
    assert browser.find_elements(By.ID, sub_id) == []
    assert browser.find_element(By.ID, "card").text == "visa •••• 4242"
    assert emulator.flush_webhooks() == 0
    assert stripe_client.v1.subscriptions.retrieve(sub_id).status == "canceled"
    cached = serve.subscription("user_3", lambda s: s["status"] == "canceled")
    assert (cached["status"], cached["subscription_id"], cached["items"]) == (
        "canceled",
        sub_id,
        [],
    )
    assert serve.billing.entitlements("user_3")["plan"] == "free"
