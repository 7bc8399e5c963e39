"""The seed guide's whole flow on the emulator and a real Redis: customer, checkout completed,
webhook delivered to the served app, cached subscription, entitlements, portal."""

from __future__ import annotations

import urllib.request

import pytest
import stripe

from reconciler.errors import NoCustomer, PortalNotConfigured, ReconcilerError, StripeCallError
from reconciler.model import Plans
from reconciler.runtime.store import Store
from reconciler.testing import EmulatorControl
from tests.runtime.conftest import Served, make_billing

FREE = {
    "status": "none",
    "plan": "free",
    "limits": {"standard-credits": 100, "premium-credits": 0, "seats": 1},
    "features": {"Standard Credits": 100, "Premium Credits": 0, "Priority Support": False},
}
STANDARD_LIMITS = {"standard-credits": 1000, "premium-credits": 50, "seats": 1}


def test_guide_flow_end_to_end(
    served: Served, emulator: EmulatorControl, price_ids: dict[str, str]
) -> None:
    billing = served.billing
    assert billing.get_subscription("user_1") == {"status": "none"}
    assert billing.entitlements("user_1") == FREE

    customer = billing.create_stripe_customer("user_1", email="a@example.com")
    assert customer.startswith("cus_")
    assert billing.create_stripe_customer("user_1") == customer  # a no-op when mapped

    session = billing.checkout_session("user_1", "standard_monthly")
    assert session.url.startswith(emulator.url)
    emulator.complete_checkout(session.id)
    emulator.flush_webhooks()

    cached = billing.get_subscription("user_1")
    assert cached["status"] == "trialing"  # standard_monthly carries a 14-day trial
    assert cached["price_id"] == price_ids["standard_monthly"]
    assert cached["subscription_id"].startswith("sub_")
    assert cached["cancel_at_period_end"] is False
    assert cached["payment_method"] == {"brand": "visa", "last4": "4242"}
    assert cached["current_period_end"] > cached["current_period_start"]

    assert billing.entitlements("user_1") == {
        "status": "trialing",
        "plan": "standard",
        "limits": STANDARD_LIMITS,
        "features": {"Standard Credits": 1000, "Premium Credits": 50, "Priority Support": False},
    }
    assert billing.limit("user_1", "limits:premium-credits") == 50
    assert billing.has_feature("user_1", "Standard Credits") is True
    assert billing.has_feature("user_1", "features:Priority Support") is False

    emulator.save_portal_settings()  # once per account, in the Dashboard
    portal = billing.get_portal("user_1")
    assert portal.startswith(emulator.url)


def test_checkout_creates_the_customer_and_takes_a_price_id(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    price_ids: dict[str, str],
    redis_store: Store,
) -> None:
    billing = make_billing(emulator, plans, redis_store)
    url = billing.checkout(
        "org_9", price_ids["pro_monthly"], success_url="https://s", cancel_url="https://c"
    )
    customer = redis_store.get_customer("org_9")
    assert customer is not None
    sessions = stripe_client.v1.checkout.sessions.list(params={"customer": customer})
    assert [s.url for s in sessions.data] == [url]
    session = sessions.data[0]
    assert (session.success_url, session.cancel_url, session.mode) == (
        "https://s",
        "https://c",
        "subscription",
    )
    found = stripe_client.v1.customers.retrieve(customer)
    assert found.metadata is not None and found.metadata["entityId"] == "org_9"


def test_checkout_merges_the_callers_subscription_data_with_the_trial(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    price_ids: dict[str, str],
    redis_store: Store,
) -> None:
    billing = make_billing(emulator, plans, redis_store)
    settings = {"end_behavior": {"missing_payment_method": "cancel"}}
    session = billing.checkout_session(
        "org_trial",
        "standard_monthly",
        success_url="https://s",
        cancel_url="https://c",
        subscription_data={"trial_settings": settings, "metadata": {"team": "blue"}},
        metadata={"campaign": "spring"},
    )
    found = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert found.metadata is not None
    assert found.metadata.to_dict() == {"campaign": "spring", "entityId": "org_trial"}
    completed = emulator.complete_checkout(session.id)
    sub = stripe_client.v1.subscriptions.retrieve(completed["subscription"])
    assert sub.status == "trialing"  # the price's 14-day trial was kept
    assert sub.trial_end is not None and sub.trial_start is not None
    assert sub.trial_end - sub.trial_start == 14 * 86400
    assert sub.trial_settings is not None
    # The caller's setting reached the subscription; the anchor is not set (null).
    assert sub.trial_settings.to_dict() == {
        "end_behavior": {"billing_cycle_anchor": None, "missing_payment_method": "cancel"}
    }
    assert sub.metadata.to_dict() == {"team": "blue"}


def test_checkout_urls_default_from_the_test_environment(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    price_ids: dict[str, str],
    redis_store: Store,
) -> None:
    billing = make_billing(emulator, plans, redis_store)
    billing.checkout("user_2", "free_monthly")
    session = stripe_client.v1.checkout.sessions.list(params={}).data[0]
    assert session.success_url == "http://localhost:3000/billing/success"
    assert session.cancel_url == "http://localhost:3000/billing/cancel"


def test_unknown_price_and_missing_customer_are_clear_errors(
    emulator: EmulatorControl, plans: Plans, price_ids: dict[str, str], redis_store: Store
) -> None:
    billing = make_billing(emulator, plans, redis_store)
    with pytest.raises(ReconcilerError) as caught:
        billing.checkout("user_3", "no_such_plan")
    assert str(caught.value) == "no price with id or active lookup key 'no_such_plan' in Stripe"
    with pytest.raises(NoCustomer) as missing:
        billing.get_portal("user_3")
    assert str(missing.value) == (
        "entity 'user_3' has no Stripe customer: call create_stripe_customer first"
    )


def test_portal_without_a_default_configuration_says_what_to_do(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    price_ids: dict[str, str],
    redis_store: Store,
) -> None:
    billing = make_billing(emulator, plans, redis_store)
    billing.create_stripe_customer("user_7")
    with pytest.raises(PortalNotConfigured) as caught:
        billing.get_portal("user_7")
    assert str(caught.value) == (
        "the Stripe account has no default Billing Portal configuration in test mode, so "
        "Stripe refuses portal sessions: save the customer portal settings once at "
        "https://dashboard.stripe.com/test/settings/billing/portal (that creates the default), "
        "or pass configuration='bpc_...' (a configuration made with the API) to get_portal"
    )
    made = stripe_client.v1.billing_portal.configurations.create(
        params={"features": {"invoice_history": {"enabled": True}}}
    )
    assert billing.get_portal("user_7", configuration=made.id).startswith(emulator.url)


def test_stripe_errors_keep_the_request_id(
    emulator: EmulatorControl, plans: Plans, price_ids: dict[str, str], redis_store: Store
) -> None:
    billing = make_billing(emulator, plans, redis_store)
    with pytest.raises(StripeCallError) as caught:
        billing.sync("cus_does_not_exist")
    assert caught.value.request_id is not None
    assert caught.value.request_id.startswith("req_")
    assert str(caught.value).startswith("reading customer cus_does_not_exist: ")
    assert TEST_KEY_FRAGMENT not in str(caught.value)


TEST_KEY_FRAGMENT = "reconciler_suite"


def test_served_app_health_and_unknown_paths(served: Served) -> None:
    base = served.url.rsplit("/stripe/webhook", 1)[0]
    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
        assert (response.status, response.read()) == (200, b'{"status": "ok"}')
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(base + "/nope", timeout=5)
    assert caught.value.code == 404


def test_sync_keeps_every_item_of_every_granting_subscription(
    emulator: EmulatorControl, plans: Plans, price_ids: dict[str, str], redis_store: Store
) -> None:
    billing = make_billing(emulator, plans, redis_store)
    customer = billing.create_stripe_customer("org_1")
    client = billing.stripe.client
    base = client.v1.subscriptions.create(
        params={
            "customer": customer,
            "items": [
                {"price": price_ids["pro_monthly"]},
                {"price": price_ids["pro_seats_monthly"], "quantity": 3},
            ],
            "trial_period_days": 7,
        }
    )
    emulator.advance(60)  # a later `created`: the newer subscription governs
    extra = client.v1.subscriptions.create(
        params={
            "customer": customer,
            "items": [{"price": price_ids["standard_monthly"]}],
            "trial_period_days": 7,
        }
    )
    ended = client.v1.subscriptions.create(
        params={
            "customer": customer,
            "items": [{"price": price_ids["free_monthly"]}],
            "trial_period_days": 7,
        }
    )
    client.v1.subscriptions.cancel(ended.id)
    billing.sync(customer)
    cached = billing.get_subscription("org_1")
    # The newest granting subscription governs; items list it first, then the others.
    assert cached["subscription_id"] == extra.id
    assert cached["price_id"] == price_ids["standard_monthly"]
    assert cached["items"] == [
        {"price_id": price_ids["standard_monthly"], "quantity": 1},
        {"price_id": price_ids["pro_monthly"], "quantity": 1},
        {"price_id": price_ids["pro_seats_monthly"], "quantity": 3},
    ]
    assert base.id != extra.id
