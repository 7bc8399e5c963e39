"""Checkout Sessions through the SDK, and completing them with the emulator control."""

from __future__ import annotations

import urllib.request
import uuid
from typing import Any, cast

import pytest
import stripe

from reconciler.testing import EmulatorControl


@pytest.fixture
def monthly(client: stripe.StripeClient) -> stripe.Price:
    return client.v1.prices.create(
        params={
            "product_data": {"name": f"Checkout {uuid.uuid4().hex[:8]}"},
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
        }
    )


def _session(
    client: stripe.StripeClient, price: stripe.Price, **extra: object
) -> stripe.checkout.Session:
    customer = client.v1.customers.create(params={"email": "buyer@example.com"})
    return client.v1.checkout.sessions.create(
        params=cast(
            Any,
            {
                "mode": "subscription",
                "customer": customer.id,
                "line_items": [{"price": price.id, "quantity": 1}],
                "success_url": "https://example.com/ok",
                "cancel_url": "https://example.com/no",
                "client_reference_id": "org_42",
                "metadata": {"entityId": "org_42"},
                **extra,
            },
        ),
    )


def test_create_is_open_with_a_url(client: stripe.StripeClient, monthly: stripe.Price) -> None:
    session = _session(client, monthly, allow_promotion_codes=True)
    assert session.id.startswith("cs_test_")
    assert (session.object, session.status, session.payment_status) == (
        "checkout.session",
        "open",
        "unpaid",
    )
    assert (session.mode, session.client_reference_id) == ("subscription", "org_42")
    assert session.metadata is not None and session.metadata.to_dict() == {"entityId": "org_42"}
    assert session.allow_promotion_codes is True
    assert session.subscription is None
    assert session.url is not None and session.url.startswith("http")
    assert client.v1.checkout.sessions.retrieve(session.id).id == session.id


def test_mode_must_match_prices(client: stripe.StripeClient, monthly: stripe.Price) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [{"price": monthly.id, "quantity": 1}],
                "success_url": "https://example.com/ok",
            }
        )
    assert caught.value.param == "line_items"


@pytest.mark.emulator_only
def test_checkout_page_is_served(client: stripe.StripeClient, monthly: stripe.Price) -> None:
    session = _session(client, monthly)
    assert session.url is not None
    with urllib.request.urlopen(session.url, timeout=10) as page:
        assert page.status == 200
        assert session.id in page.read().decode()


@pytest.mark.emulator_only
def test_complete_creates_the_subscription(
    client: stripe.StripeClient, control: EmulatorControl, monthly: stripe.Price
) -> None:
    session = _session(client, monthly)
    completed = control.complete_checkout(session.id, "pm_card_mastercard")
    assert (completed["status"], completed["payment_status"]) == ("complete", "paid")
    sub = client.v1.subscriptions.retrieve(
        completed["subscription"], params={"expand": ["default_payment_method"]}
    )
    assert sub.status == "active"
    assert sub.default_payment_method.card.brand == "mastercard"  # type: ignore[union-attr]
    customer = client.v1.customers.retrieve(str(session.customer))
    assert customer.invoice_settings.default_payment_method == sub.default_payment_method.id  # type: ignore[union-attr]
    types = [event.type for event in reversed(client.v1.events.list().data)]
    for expected in (
        "payment_method.attached",
        "customer.subscription.created",
        "invoice.created",
        "invoice.paid",
        "invoice.payment_succeeded",
        "checkout.session.completed",
    ):
        assert expected in types
    assert types[-1] == "checkout.session.completed"
    again = client.v1.checkout.sessions.retrieve(session.id)
    assert again.subscription == sub.id and again.status == "complete"


@pytest.mark.emulator_only
def test_complete_with_trial(
    client: stripe.StripeClient, control: EmulatorControl, monthly: stripe.Price
) -> None:
    session = _session(
        client, monthly, subscription_data={"trial_period_days": 30, "metadata": {"plan": "pro"}}
    )
    completed = control.complete_checkout(session.id)
    sub = client.v1.subscriptions.retrieve(completed["subscription"])
    assert sub.status == "trialing"
    assert sub.metadata.to_dict() == {"plan": "pro"}
    assert completed["payment_status"] == "no_payment_required"


def test_line_items_show_the_prices(client: stripe.StripeClient, monthly: stripe.Price) -> None:
    session = _session(client, monthly)
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert len(items.data) == 1
    item = items.data[0]
    assert (item.object, item.quantity, item.amount_total) == ("item", 1, 900)
    assert item.price is not None and item.price.id == monthly.id


# Checkout on 2026-09-30.endive and later. Stripe changelog:
# https://docs.stripe.com/changelog/endive/2026-09-30/remove-payment-method-types-checkout-sessions
def test_payment_method_types_was_removed(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _session(client, monthly, payment_method_types=["card"])
    assert caught.value.http_status == 400
    assert caught.value.user_message == "Received unknown parameter: payment_method_types"
    assert caught.value.param == "payment_method_types"


def test_allowed_and_excluded_payment_method_types(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    allowed = _session(client, monthly, allowed_payment_method_types=["card"])
    assert allowed.payment_method_types == ["card"]
    excluded = _session(client, monthly, excluded_payment_method_types=["klarna"])
    assert "card" in excluded.payment_method_types
    assert "klarna" not in excluded.payment_method_types


def test_automatic_tax_off_is_echoed(client: stripe.StripeClient, monthly: stripe.Price) -> None:
    # docs: api/checkout/sessions/create#create_checkout_session-automatic_tax
    session = _session(client, monthly, automatic_tax={"enabled": False})
    assert session.automatic_tax.enabled is False
    assert session.automatic_tax.status is None


def test_trial_settings_reach_the_subscription(
    client: stripe.StripeClient, target: Any, monthly: stripe.Price
) -> None:
    # docs: api/checkout/sessions/create#create_checkout_session-subscription_data-trial_settings
    settings = {"end_behavior": {"missing_payment_method": "cancel"}}
    session = _session(
        client, monthly, subscription_data={"trial_period_days": 7, "trial_settings": settings}
    )
    assert session.status == "open"
    if target.control is None:
        return  # completing a Checkout needs a browser on real Stripe
    completed = target.control.complete_checkout(session.id)
    sub = client.v1.subscriptions.retrieve(completed["subscription"])
    assert sub.status == "trialing"
    assert sub.trial_settings is not None
    assert sub.trial_settings.to_dict() == {
        "end_behavior": {"billing_cycle_anchor": None, "missing_payment_method": "cancel"}
    }


def test_ui_mode_values_of_the_pinned_version(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    # changelog 2026-03-25.dahlia: `hosted` became `hosted_page`; setting an old value fails.
    assert _session(client, monthly).ui_mode == "hosted_page"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _session(client, monthly, ui_mode="hosted")
    assert (caught.value.param, caught.value.user_message) == (
        "ui_mode",
        "Invalid ui_mode: must be one of elements, embedded_page, form, or hosted_page",
    )
