"""Billing Portal configurations and the default a portal session needs.

Docs: api/customer_portal/configurations (create, update, retrieve, list; API-created
configurations have `is_default: false`) and api/customer_portal/sessions/create
(`configuration`: "If not specified, the session uses the default configuration").
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from reconciler.testing import EmulatorControl

NO_DEFAULT = (
    "No configuration provided and your test mode default configuration has not been created. "
    "Provide a configuration or create your default by saving your customer portal settings in "
    "test mode at https://dashboard.stripe.com/test/settings/billing/portal."
)


def _create(client: stripe.StripeClient, **extra: Any) -> Any:
    params: Any = {
        "features": {
            "invoice_history": {"enabled": True},
            "customer_update": {"enabled": True, "allowed_updates": ["email"]},
        },
        **extra,
    }
    return client.v1.billing_portal.configurations.create(params=params)


def test_create_retrieve_update_list(client: stripe.StripeClient) -> None:
    made = _create(
        client,
        business_profile={"headline": "Manage your plan"},
        default_return_url="https://example.com/account",
        metadata={"plan-file": "portal"},
    )
    assert made.id.startswith("bpc_")
    assert (made.object, made.active, made.is_default) == (
        "billing_portal.configuration",
        True,
        False,
    )
    assert made.features.invoice_history.enabled is True
    assert made.features.customer_update.allowed_updates == ["email"]
    assert made.business_profile.headline == "Manage your plan"
    assert made.default_return_url == "https://example.com/account"
    assert client.v1.billing_portal.configurations.retrieve(made.id).id == made.id
    updated = client.v1.billing_portal.configurations.update(
        made.id, params={"active": False, "features": {"invoice_history": {"enabled": False}}}
    )
    assert (updated.active, updated.features.invoice_history.enabled) == (False, False)
    assert updated.features.customer_update.enabled is True  # untouched features stay
    listed = client.v1.billing_portal.configurations.list(params={"active": False, "limit": 100})
    assert made.id in [c.id for c in listed.data]


def test_features_are_required(client: stripe.StripeClient) -> None:
    empty: Any = {}  # the SDK's types know `features` is required; Stripe says so too
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing_portal.configurations.create(params=empty)
    assert caught.value.param == "features"


def test_unknown_configuration_is_a_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing_portal.configurations.retrieve("bpc_missing")
    assert caught.value.http_status == 404


@pytest.mark.emulator_only
def test_no_default_configuration_refuses_sessions(
    client: stripe.StripeClient, control: EmulatorControl
) -> None:
    customer = client.v1.customers.create(params={})
    _create(client)  # an API-made configuration is not the default
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing_portal.sessions.create(params={"customer": customer.id})
    assert (caught.value.http_status, caught.value.user_message) == (400, NO_DEFAULT)
    default = control.save_portal_settings()
    session = client.v1.billing_portal.sessions.create(params={"customer": customer.id})
    assert session.configuration == default
    defaults = client.v1.billing_portal.configurations.list(params={"is_default": True})
    assert [c.id for c in defaults.data] == [default]
    assert control.save_portal_settings() == default  # saving again keeps the one default


@pytest.mark.emulator_only
def test_an_inactive_configuration_is_refused(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={})
    made = _create(client)
    client.v1.billing_portal.configurations.update(made.id, params={"active": False})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing_portal.sessions.create(
            params={"customer": customer.id, "configuration": made.id}
        )
    assert caught.value.user_message == f"The configuration {made.id} is not active."
