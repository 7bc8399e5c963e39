"""The emulator's hosted Checkout page, clicked in headless Chromium: paying completes the
session, sends the webhooks, and the application running `reconciler serve` sees the
subscription."""

from __future__ import annotations

import stripe
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from reconciler.testing import EmulatorControl
from tests.browser.conftest import ServedApp, submit, text_of, type_into


def test_the_pay_button_completes_checkout_and_serve_sees_the_subscription(
    browser: WebDriver,
    serve: ServedApp,
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    price_ids: dict[str, str],
) -> None:
    success = f"{serve.url}/healthz?session_id={{CHECKOUT_SESSION_ID}}"
    session = serve.billing.checkout_session(
        "user_1", "pro_monthly", success_url=success, cancel_url=f"{serve.url}/cancelled"
    )
    browser.get(session.url)
    assert browser.find_element(By.ID, "total").text == "49.00 USD"
    assert browser.find_element(By.ID, "status").text == "open"
    assert browser.find_element(By.ID, "back").get_attribute("href") == f"{serve.url}/cancelled"
    assert browser.find_elements(By.ID, "email") == []  # the session has a customer

    submit(browser, "#pay")
    assert browser.current_url == f"{serve.url}/healthz?session_id={session.id}"

    assert emulator.flush_webhooks() == 0  # every delivery to `reconciler serve` answered 2xx
    completed = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (completed.status, completed.payment_status) == ("complete", "paid")
    cached = serve.subscription("user_1", lambda s: s["status"] != "none")
    assert (cached["status"], cached["price_id"]) == ("active", price_ids["pro_monthly"])
    assert cached["subscription_id"] == completed.subscription
    assert cached["payment_method"] == {"brand": "visa", "last4": "4242"}
    assert serve.billing.entitlements("user_1")["plan"] == "pro"


def test_a_declined_card_shows_stripes_message_and_the_session_stays_open(
    browser: WebDriver, serve: ServedApp, stripe_client: stripe.StripeClient
) -> None:
    session = serve.billing.checkout_session("user_2", "standard_monthly")
    browser.get(session.url)
    type_into(browser, "#card", "4000 0000 0000 0002")
    submit(browser, "#pay")
    assert text_of(browser, "#error") == "Your card was declined."
    type_into(browser, "#card", "4242 4242 4242 4241")
    submit(browser, "#pay")
    assert text_of(browser, "#error") == "Your card number is invalid."
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert serve.billing.get_subscription("user_2") == {"status": "none"}


def test_a_session_without_customer_asks_for_the_email_and_creates_the_customer(
    browser: WebDriver,
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    price_ids: dict[str, str],
) -> None:
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price_ids["standard_monthly"], "quantity": 2}],
        }
    )
    browser.get(str(session.url))
    rows = browser.find_elements(By.CSS_SELECTOR, "#line-items tr")
    assert [row.text for row in rows] == ["Standard qty 2 30.00 USD per month"]
    type_into(browser, "#email", "new@example.com")
    submit(browser, "#pay")
    assert text_of(browser, "#status") == "complete"
    completed = stripe_client.v1.checkout.sessions.retrieve(session.id)
    customer = stripe_client.v1.customers.retrieve(str(completed.customer))
    assert customer.email == "new@example.com"
    assert browser.find_elements(By.ID, "pay") == []  # a complete session has no pay button
