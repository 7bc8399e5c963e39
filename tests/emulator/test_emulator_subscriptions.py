"""Subscriptions through the official SDK, and billing as the emulator clock moves."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from reconciler.testing import EmulatorControl
from tests.emulator.helpers import event_types, monthly_price, new_customer

DAY = 86400


@pytest.fixture
def monthly(client: stripe.StripeClient) -> stripe.Price:
    return monthly_price(client)


def test_active_subscription_shape(client: stripe.StripeClient, monthly: stripe.Price) -> None:
    customer = new_customer(client)
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": monthly.id, "quantity": 2}],
            "metadata": {"entityId": "org_9"},
        }
    )
    assert sub.id.startswith("sub_")
    assert (sub.object, sub.status, sub.customer) == ("subscription", "active", customer.id)
    assert sub.metadata.to_dict() == {"entityId": "org_9"}
    assert sub.cancel_at_period_end is False
    item = sub["items"].data[0]
    assert item.id.startswith("si_")
    assert (item.object, item.quantity, item.subscription) == ("subscription_item", 2, sub.id)
    assert item.price.id == monthly.id and item.price.unit_amount == 1500
    assert item.current_period_end > item.current_period_start
    assert sub["items"].object == "list"
    assert isinstance(sub.latest_invoice, str) and sub.latest_invoice.startswith("in_")
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == (
        "paid",
        3000,
        "subscription_create",
    )


def test_trial_status_and_incomplete_without_card(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    trial = client.v1.subscriptions.create(
        params={
            "customer": new_customer(client).id,
            "items": [{"price": monthly.id}],
            "trial_period_days": 14,
        }
    )
    assert trial.status == "trialing"
    assert trial.trial_end is not None and trial.trial_start is not None
    assert trial.trial_end - trial.trial_start == 14 * DAY
    assert trial["items"].data[0].current_period_end == trial.trial_end


@pytest.mark.emulator_only
def test_no_card_means_incomplete(client: stripe.StripeClient, monthly: stripe.Price) -> None:
    sub = client.v1.subscriptions.create(
        params={"customer": new_customer(client, card=False).id, "items": [{"price": monthly.id}]}
    )
    assert sub.status == "incomplete"


def test_one_time_price_is_refused(client: stripe.StripeClient) -> None:
    once = client.v1.prices.create(
        params={"product_data": {"name": "Once"}, "currency": "usd", "unit_amount": 5}
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.create(
            params={"customer": new_customer(client).id, "items": [{"price": once.id}]}
        )
    assert caught.value.user_message == (
        "The price specified is set to `type=one_time` but this field only accepts prices "
        "with `type=recurring`."
    )


def test_update_swaps_price_and_schedules_cancel(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    sub = client.v1.subscriptions.create(
        params={"customer": new_customer(client).id, "items": [{"price": monthly.id}]}
    )
    better = client.v1.prices.create(
        params={
            "product": str(monthly.product),
            "currency": "usd",
            "unit_amount": 3000,
            "recurring": {"interval": "month"},
        }
    )
    item_id = sub["items"].data[0].id
    updated = client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": item_id, "price": better.id}],
            "proration_behavior": "none",
            "metadata": {"seats": "3"},
            "cancel_at_period_end": True,
        },
    )
    assert [(item.id, item.price.id) for item in updated["items"].data] == [(item_id, better.id)]
    assert updated.metadata.to_dict() == {"seats": "3"}
    assert updated.cancel_at_period_end is True
    assert updated.status == "active"


def test_cancel_now(client: stripe.StripeClient, monthly: stripe.Price) -> None:
    sub = client.v1.subscriptions.create(
        params={"customer": new_customer(client).id, "items": [{"price": monthly.id}]}
    )
    canceled = client.v1.subscriptions.cancel(sub.id)
    assert canceled.status == "canceled"
    assert canceled.canceled_at is not None and canceled.ended_at is not None


@pytest.mark.emulator_only
def test_list_filters_and_default_excludes_canceled(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    customer = new_customer(client)
    live = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly.id}]}
    )
    gone = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly.id}]}
    )
    client.v1.subscriptions.cancel(gone.id)

    def ids(**params: Any) -> list[str]:
        return [s.id for s in client.v1.subscriptions.list(params=params).data]  # type: ignore[arg-type]

    assert ids() == [live.id]
    assert ids(status="all") == [gone.id, live.id]
    assert ids(status="canceled") == [gone.id]
    assert ids(customer=customer.id, price=monthly.id) == [live.id]
    assert ids(customer="cus_other") == []
    expanded = client.v1.subscriptions.list(
        params={
            "expand": [
                "data.customer",
                "data.default_payment_method",
                "data.items.data.price",
            ]
        }
    )
    first = expanded.data[0]
    assert first.customer.id == customer.id  # type: ignore[union-attr]
    assert first["items"].data[0].price.id == monthly.id
    with pytest.raises(stripe.InvalidRequestError) as too_deep:
        client.v1.subscriptions.list(params={"expand": ["data.items.data.price.product"]})
    assert too_deep.value.user_message == (
        "You cannot expand more than 4 levels of a property. "
        "Property: data.items.data.price.product"
    )


@pytest.mark.emulator_only
def test_clock_renews_and_invoices(
    client: stripe.StripeClient, control: EmulatorControl, monthly: stripe.Price
) -> None:
    sub = client.v1.subscriptions.create(
        params={"customer": new_customer(client).id, "items": [{"price": monthly.id}]}
    )
    end = sub["items"].data[0].current_period_end
    control.advance(end - control.now() + 60)
    renewed = client.v1.subscriptions.retrieve(sub.id)
    assert renewed.status == "active"
    assert renewed["items"].data[0].current_period_start == end
    assert renewed.latest_invoice != sub.latest_invoice
    assert event_types(client)[-5:] == [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]


@pytest.mark.emulator_only
def test_trial_ends_into_active(
    client: stripe.StripeClient, control: EmulatorControl, monthly: stripe.Price
) -> None:
    sub = client.v1.subscriptions.create(
        params={
            "customer": new_customer(client).id,
            "items": [{"price": monthly.id}],
            "trial_period_days": 7,
        }
    )
    control.advance(7 * DAY + 1)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    updated = client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    assert updated.data.previous_attributes is not None
    assert updated.data.previous_attributes["status"] == "trialing"


@pytest.mark.emulator_only
def test_cancel_at_period_end_takes_effect(
    client: stripe.StripeClient, control: EmulatorControl, monthly: stripe.Price
) -> None:
    sub = client.v1.subscriptions.create(
        params={
            "customer": new_customer(client).id,
            "items": [{"price": monthly.id}],
            "cancel_at_period_end": True,
        }
    )
    end = sub["items"].data[0].current_period_end
    assert (sub.cancel_at, sub.canceled_at is not None) == (end, True)
    control.advance(40 * DAY)
    ended = client.v1.subscriptions.retrieve(sub.id)
    assert (ended.status, ended.ended_at) == ("canceled", end)
    assert event_types(client)[-1] == "customer.subscription.deleted"


@pytest.mark.emulator_only
def test_no_card_at_renewal_goes_past_due(
    client: stripe.StripeClient, control: EmulatorControl, monthly: stripe.Price
) -> None:
    customer = new_customer(client, card=False)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly.id}], "trial_period_days": 3}
    )
    control.advance(3 * DAY + 5)
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    assert "invoice.payment_failed" in event_types(client)


@pytest.mark.emulator_only
def test_clock_moves_forward(control: EmulatorControl) -> None:
    before = control.now()
    assert control.advance(3600) >= before + 3600
    control.reset()
    assert control.now() < before + 3600


COMBINE = "You cannot combine currencies on a single customer."


def test_a_customer_cannot_combine_currencies(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    """docs.stripe.com/invoicing/multi-currency-customers: "You can't have two active
    subscriptions with different currencies."; support.stripe.com/questions/set-or-change-
    currency-for-an-invoice-or-customer-in-stripe-billing: "The currency cannot be updated on
    an ongoing subscription", and a new subscription in a new currency is possible once the
    customer has no active subscription. Stripe's answer starts with "You cannot combine
    currencies on a single customer." and names the currency the customer holds (as users
    quote it); the rest of its wording has changed over the years, so only that is asserted."""
    euros = client.v1.prices.create(
        params={
            "product": str(monthly.product),
            "currency": "eur",
            "unit_amount": 1400,
            "recurring": {"interval": "month"},
        }
    )
    customer = new_customer(client)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly.id}]}
    )
    with pytest.raises(stripe.InvalidRequestError) as second:
        client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": euros.id}]}
        )
    message = second.value.user_message or ""
    assert message.startswith(COMBINE) and message.endswith("with currency usd."), message
    # Moving the subscription itself to a price in another currency is refused too.
    item = sub["items"].data[0]
    with pytest.raises(stripe.InvalidRequestError) as moved:
        client.v1.subscriptions.update(
            sub.id, params={"items": [{"id": item.id, "price": euros.id}]}
        )
    assert (moved.value.user_message or "").startswith(COMBINE)
    kept = client.v1.subscriptions.retrieve(sub.id)
    assert [i.price.id for i in kept["items"].data] == [monthly.id]
    # Once it has ended, the customer may subscribe in another currency.
    client.v1.subscriptions.cancel(sub.id)
    again = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": euros.id}]}
    )
    assert again.currency == "eur"
