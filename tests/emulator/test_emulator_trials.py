"""Subscription trials set with `trial_end`, on create and update, through the official SDK."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe

from reconciler.testing import EmulatorControl
from tests.emulator.helpers import event_types, monthly_price, new_customer

DAY = 86400
WARNING = "customer.subscription.trial_will_end"


@pytest.fixture
def monthly(client: stripe.StripeClient) -> stripe.Price:
    return monthly_price(client)


def _create(client: stripe.StripeClient, price: stripe.Price, **extra: Any) -> stripe.Subscription:
    params: dict[str, Any] = {"customer": new_customer(client).id, "items": [{"price": price.id}]}
    return client.v1.subscriptions.create(params={**params, **extra})  # type: ignore[arg-type]


def _period(subscription: stripe.Subscription) -> tuple[int, int]:
    item = subscription["items"].data[0]
    return item.current_period_start, item.current_period_end


def _refused(client: stripe.StripeClient, params: dict[str, Any]) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.create(params=params)  # type: ignore[arg-type]
    return caught.value


def test_trial_end_on_create_sets_the_trial_and_first_period(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    end = int(time.time()) + 10 * DAY
    sub = _create(client, monthly, trial_end=end)
    assert (sub.status, sub.trial_start, sub.trial_end) == ("trialing", sub.created, end)
    assert (_period(sub), sub.billing_cycle_anchor) == ((sub.created, end), end)
    invoice = client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert (invoice.amount_due, invoice.status) == (0, "paid")


def test_trial_end_overrides_trial_period_days(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    end = int(time.time()) + 5 * DAY
    sub = _create(client, monthly, trial_end=end, trial_period_days=30)
    assert (sub.status, sub.trial_end, _period(sub)[1]) == ("trialing", end, end)


def test_trial_end_now_on_create_means_no_trial(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    sub = _create(client, monthly, trial_end="now", trial_period_days=30)
    assert (sub.status, sub.trial_start, sub.trial_end) == ("active", None, None)
    invoice = client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert (invoice.amount_paid, invoice.status) == (1500, "paid")


def test_trial_end_must_be_a_timestamp_in_the_future_within_two_years(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    customer = new_customer(client).id
    base: dict[str, Any] = {"customer": customer, "items": [{"price": monthly.id}]}
    now = int(time.time())
    for value in (now - 60, "tomorrow"):
        error = _refused(client, {**base, "trial_end": value})
        assert (error.http_status, error.param) == (400, "trial_end")
        assert error.user_message == (
            "Invalid timestamp: must be an integer Unix timestamp in the future."
        )
    error = _refused(client, {**base, "trial_end": now + 800 * DAY})
    assert (error.param, error.user_message) == (
        "trial_end",
        "The maximum number of trial period days is 730 (2 years).",
    )
    assert client.v1.subscriptions.list(params={"customer": customer}).data == []


@pytest.mark.emulator_only
def test_update_extends_a_trial(
    client: stripe.StripeClient, control: EmulatorControl, monthly: stripe.Price
) -> None:
    sub = _create(client, monthly, trial_period_days=7)
    later = sub.created + 20 * DAY
    moved = client.v1.subscriptions.update(sub.id, params={"trial_end": later})
    assert (moved.status, moved.trial_start, moved.trial_end) == ("trialing", sub.created, later)
    assert (_period(moved), moved.billing_cycle_anchor) == ((sub.created, later), later)
    updated = client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    previous = updated.data.previous_attributes
    assert previous is not None
    assert (previous["trial_end"], previous["billing_cycle_anchor"]) == (
        sub.created + 7 * DAY,
        sub.created + 7 * DAY,
    )
    # The old trial end passes without billing; the new one bills.
    control.advance(later - control.now() - DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "trialing"
    control.advance(2 * DAY)
    renewed = client.v1.subscriptions.retrieve(sub.id)
    assert (renewed.status, renewed.trial_end) == ("active", later)
    assert _period(renewed)[0] == later


@pytest.mark.emulator_only
def test_update_now_ends_the_trial_and_bills(
    client: stripe.StripeClient, control: EmulatorControl, monthly: stripe.Price
) -> None:
    sub = _create(client, monthly, trial_period_days=14)
    control.advance(DAY)
    ended = client.v1.subscriptions.update(sub.id, params={"trial_end": "now"})
    now = ended.trial_end
    assert now is not None and now >= sub.created + DAY
    assert (ended.status, ended.trial_start, ended.billing_cycle_anchor) == (
        "active",
        sub.created,
        now,
    )
    assert _period(ended) == (now, _one_month_after(now))
    invoice = client.v1.invoices.retrieve(str(ended.latest_invoice))
    assert (invoice.billing_reason, invoice.amount_paid, invoice.status, invoice.created) == (
        "subscription_update",
        1500,
        "paid",
        now,
    )
    assert event_types(client)[-6:] == [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
        WARNING,
    ]
    updated = client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    previous = updated.data.previous_attributes
    assert previous is not None
    assert (previous["status"], previous["trial_end"]) == ("trialing", sub.created + 14 * DAY)


def _one_month_after(moment: int) -> int:
    start = datetime.fromtimestamp(moment, UTC)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


@pytest.mark.emulator_only
def test_update_now_without_a_trial_changes_nothing(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    sub = _create(client, monthly)
    same = client.v1.subscriptions.update(sub.id, params={"trial_end": "now"})
    assert (same.status, same.trial_end, _period(same)) == ("active", None, _period(sub))
    assert "customer.subscription.updated" not in event_types(client)


@pytest.mark.emulator_only
def test_update_puts_an_active_subscription_in_trial(
    client: stripe.StripeClient, control: EmulatorControl, monthly: stripe.Price
) -> None:
    sub = _create(client, monthly)
    control.advance(DAY)
    end = control.now() + 10 * DAY
    trialing = client.v1.subscriptions.update(sub.id, params={"trial_end": end})
    updated = client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    start = updated.created
    assert start >= sub.created + DAY
    assert (trialing.status, trialing.trial_start, trialing.trial_end) == ("trialing", start, end)
    assert (_period(trialing), trialing.billing_cycle_anchor) == ((start, end), end)


@pytest.mark.emulator_only
def test_update_refuses_a_past_trial_end(
    client: stripe.StripeClient, control: EmulatorControl, monthly: stripe.Price
) -> None:
    sub = _create(client, monthly, trial_period_days=7)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.update(sub.id, params={"trial_end": control.now() - 1})
    assert (caught.value.param, caught.value.user_message) == (
        "trial_end",
        "Invalid timestamp: must be an integer Unix timestamp in the future.",
    )
    assert client.v1.subscriptions.retrieve(sub.id).trial_end == sub.trial_end


@pytest.mark.emulator_only
def test_trial_will_end_three_days_before_the_trial_ends(
    client: stripe.StripeClient, control: EmulatorControl, monthly: stripe.Price
) -> None:
    sub = _create(client, monthly, trial_period_days=10)
    assert WARNING not in event_types(client)
    hour = 3600
    control.advance(sub.created + 7 * DAY - hour - control.now())
    assert WARNING not in event_types(client)
    control.advance(2 * hour)
    warning = client.v1.events.list(params={"type": WARNING}).data
    assert [(event.created, event.data.object["id"]) for event in warning] == [
        (sub.created + 7 * DAY, sub.id)
    ]
    assert warning[0].data.object["status"] == "trialing"
    control.advance(3 * DAY)
    assert event_types(client)[-1] == "customer.subscription.updated"
    assert len(client.v1.events.list(params={"type": WARNING}).data) == 1


@pytest.mark.emulator_only
def test_trial_will_end_at_once_for_a_trial_of_three_days_or_less(
    client: stripe.StripeClient, monthly: stripe.Price
) -> None:
    sub = _create(client, monthly, trial_end=int(time.time()) + 2 * DAY)
    assert event_types(client)[-6:-4] == ["customer.subscription.created", WARNING]
    assert client.v1.events.list(params={"type": WARNING}).data[0].data.object["id"] == sub.id


@pytest.mark.emulator_only
def test_a_cancellation_at_period_end_moves_with_the_trial(
    client: stripe.StripeClient, control: EmulatorControl, monthly: stripe.Price
) -> None:
    sub = _create(client, monthly, trial_period_days=7, cancel_at_period_end=True)
    assert sub.cancel_at == sub.created + 7 * DAY
    later = sub.created + 20 * DAY
    moved = client.v1.subscriptions.update(sub.id, params={"trial_end": later})
    assert (moved.cancel_at, moved.cancel_at_period_end) == (later, True)
    ended = client.v1.subscriptions.update(sub.id, params={"trial_end": "now"})
    assert ended.cancel_at == _period(ended)[1]
    control.advance(_period(ended)[1] - control.now() + 60)
    gone = client.v1.subscriptions.retrieve(sub.id)
    assert (gone.status, gone.ended_at) == ("canceled", _period(ended)[1])
