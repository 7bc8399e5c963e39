"""Customers and payment methods through the official SDK."""

from __future__ import annotations

import uuid

import pytest
import stripe


def _email() -> str:
    return f"contract-{uuid.uuid4().hex[:10]}@example.com"


def test_create_customer_shape(client: stripe.StripeClient) -> None:
    email = _email()
    customer = client.v1.customers.create(
        params={"email": email, "name": "Ada", "metadata": {"entityId": "org_1"}}
    )
    assert customer.id.startswith("cus_")
    assert (customer.object, customer.email, customer.name) == ("customer", email, "Ada")
    assert customer["metadata"].to_dict() == {"entityId": "org_1"}
    assert customer["invoice_settings"]["default_payment_method"] is None
    assert (customer.balance, customer.delinquent, customer.livemode) == (0, False, False)


def test_attach_test_card_creates_a_copy(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": _email()})
    visa = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    assert visa.id.startswith("pm_") and visa.id != "pm_card_visa"
    assert visa.customer == customer.id
    assert visa.card is not None
    assert (visa.type, visa.card.brand, visa.card.last4) == ("card", "visa", "4242")
    master = client.v1.payment_methods.attach(
        "pm_card_mastercard", params={"customer": customer.id}
    )
    assert master.card is not None
    assert (master.card.brand, master.card.last4) == ("mastercard", "4444")
    listed = client.v1.customers.payment_methods.list(customer.id)
    assert [method.id for method in listed.data] == [master.id, visa.id]
    assert client.v1.payment_methods.retrieve(visa.id).customer == customer.id


def test_declined_card_is_a_card_error(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": _email()})
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": customer.id})
    assert caught.value.http_status == 402
    assert caught.value.code == "card_declined"
    assert caught.value.user_message == "Your card was declined."


def test_create_with_payment_method_and_default(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(
        params={
            "email": _email(),
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    default = customer["invoice_settings"]["default_payment_method"]
    assert isinstance(default, str) and default.startswith("pm_") and default != "pm_card_visa"
    assert client.v1.payment_methods.retrieve(default).customer == customer.id


def test_default_payment_method_must_be_attached(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": _email()})
    other = client.v1.customers.create(params={"email": _email()})
    foreign = client.v1.payment_methods.attach("pm_card_visa", params={"customer": other.id})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.update(
            customer.id, params={"invoice_settings": {"default_payment_method": foreign.id}}
        )
    assert caught.value.param == "invoice_settings[default_payment_method]"
    own = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    updated = client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": own.id}}
    )
    assert updated["invoice_settings"]["default_payment_method"] == own.id


def test_update_and_delete(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": _email(), "metadata": {"a": "1"}})
    updated = client.v1.customers.update(
        customer.id, params={"name": "Grace", "metadata": {"a": ""}}
    )
    assert (updated.name, updated["metadata"].to_dict()) == ("Grace", {})
    deleted = client.v1.customers.delete(customer.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (customer.id, "customer", True)
    gone = client.v1.customers.retrieve(customer.id)
    assert (gone.id, gone.to_dict().get("deleted")) == (customer.id, True)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.update(customer.id, params={"name": "Ghost"})
    assert caught.value.user_message == f"No such customer: '{customer.id}'"


def test_list_by_email(client: stripe.StripeClient) -> None:
    email = _email()
    wanted = client.v1.customers.create(params={"email": email})
    client.v1.customers.create(params={"email": _email()})
    found = client.v1.customers.list(params={"email": email})
    assert [customer.id for customer in found.data] == [wanted.id]


@pytest.mark.emulator_only
def test_search_by_metadata_and_email(client: stripe.StripeClient) -> None:
    email = _email()
    wanted = client.v1.customers.create(params={"email": email, "metadata": {"entityId": "e1"}})
    client.v1.customers.create(params={"email": _email(), "metadata": {"entityId": "e2"}})
    by_entity = client.v1.customers.search(params={"query": "metadata['entityId']:'e1'"})
    assert [customer.id for customer in by_entity.data] == [wanted.id]
    by_email = client.v1.customers.search(params={"query": f"email:'{email}'"})
    assert [customer.id for customer in by_email.data] == [wanted.id]


def test_portal_session_points_at_a_real_page(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": _email()})
    configuration = client.v1.billing_portal.configurations.create(
        params={"features": {"invoice_history": {"enabled": True}}}
    )
    session = client.v1.billing_portal.sessions.create(
        params={
            "customer": customer.id,
            "return_url": "https://example.com/account",
            "configuration": configuration.id,
        }
    )
    assert session.configuration == configuration.id
    assert session.id.startswith("bps_")
    assert (session.object, session.customer) == ("billing_portal.session", customer.id)
    assert session.return_url == "https://example.com/account"
    assert session.url.startswith("http")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing_portal.sessions.create(
            params={"customer": "cus_missing", "configuration": configuration.id}
        )
    assert caught.value.user_message == "No such customer: 'cus_missing'"


def test_lists_filter_on_created(client: stripe.StripeClient) -> None:
    # docs: api/customers/list (`created`: gt, gte, lt, lte), as every list endpoint takes it.
    first = client.v1.customers.create(params={"email": _email()})
    since = client.v1.customers.list(params={"created": {"gte": first.created}, "limit": 100})
    assert first.id in [c.id for c in since.data]
    later = client.v1.customers.list(params={"created": {"gt": first.created + 3600}})
    assert later.data == []
    before = client.v1.customers.list(params={"created": {"lt": first.created}, "limit": 100})
    assert first.id not in [c.id for c in before.data]


def test_an_update_adds_a_metadata_key_and_keeps_the_others(client: stripe.StripeClient) -> None:
    # What `backfill customers` relies on to adopt a customer its application made: writing
    # `entityId` leaves the application's own keys as they were (docs.stripe.com/metadata).
    customer = client.v1.customers.create(
        params={"email": _email(), "metadata": {"user_id": "u-7", "plan": "legacy"}}
    )
    updated = client.v1.customers.update(customer.id, params={"metadata": {"entityId": "u-7"}})
    assert updated["metadata"].to_dict() == {"entityId": "u-7", "plan": "legacy", "user_id": "u-7"}
    again = client.v1.customers.retrieve(customer.id)
    assert again["metadata"].to_dict() == {"entityId": "u-7", "plan": "legacy", "user_id": "u-7"}
