"""Billing meters and meter events through the official SDK.

Pages: https://docs.stripe.com/api/billing/meter/create, .../meter/deactivate,
.../meter/reactivate, https://docs.stripe.com/api/billing/meter-event/create,
https://docs.stripe.com/api/billing/meter-event-summary.
"""

from __future__ import annotations

import uuid

import pytest
import stripe
from stripe.params.billing import MeterEventSummaryListParams

from reconciler.testing import EmulatorControl


def _event_name() -> str:
    return f"contract_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def meter(client: stripe.StripeClient) -> stripe.billing.Meter:
    return client.v1.billing.meters.create(
        params={
            "display_name": "Search API calls",
            "event_name": _event_name(),
            "default_aggregation": {"formula": "sum"},
            "customer_mapping": {"type": "by_id", "event_payload_key": "stripe_customer_id"},
            "value_settings": {"event_payload_key": "value"},
        }
    )


def test_meter_shape(client: stripe.StripeClient, meter: stripe.billing.Meter) -> None:
    assert meter.id.startswith("mtr_")
    assert meter.object == "billing.meter"
    assert meter.display_name == "Search API calls"
    assert meter.default_aggregation.formula == "sum"
    assert meter.customer_mapping.to_dict() == {
        "event_payload_key": "stripe_customer_id",
        "type": "by_id",
    }
    assert meter.value_settings.event_payload_key == "value"
    assert (meter.status, meter.status_transitions.deactivated_at) == ("active", None)
    assert meter.event_time_window is None
    assert client.v1.billing.meters.retrieve(meter.id).to_dict() == meter.to_dict()


def test_defaults_for_payload_keys(client: stripe.StripeClient) -> None:
    created = client.v1.billing.meters.create(
        params={
            "display_name": "Tokens",
            "event_name": _event_name(),
            "default_aggregation": {"formula": "count"},
        }
    )
    assert created.customer_mapping.event_payload_key == "stripe_customer_id"
    assert created.value_settings.event_payload_key == "value"


def test_required_and_invalid_parameters(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.billing.meters.create(
            params={"display_name": "x", "event_name": _event_name()}  # type: ignore[typeddict-item]
        )
    assert (missing.value.code, missing.value.param) == (
        "parameter_missing",
        "default_aggregation[formula]",
    )
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.billing.meters.create(
            params={
                "display_name": "x",
                "event_name": _event_name(),
                "default_aggregation": {"formula": "sum"},
                "aggregate_usage": "sum",  # type: ignore[typeddict-unknown-key]
            }
        )
    assert unknown.value.code == "parameter_unknown"


def test_update_changes_only_the_display_name(
    client: stripe.StripeClient, meter: stripe.billing.Meter
) -> None:
    updated = client.v1.billing.meters.update(meter.id, params={"display_name": "Searches"})
    assert updated.display_name == "Searches"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.billing.meters.update(
            meter.id,
            params={"event_name": "other"},  # type: ignore[arg-type]
        )
    assert (refused.value.code, refused.value.param) == ("parameter_unknown", "event_name")


def test_deactivate_and_reactivate(
    client: stripe.StripeClient, meter: stripe.billing.Meter
) -> None:
    inactive = client.v1.billing.meters.deactivate(meter.id)
    assert inactive.status == "inactive"
    assert inactive.status_transitions.deactivated_at is not None
    listed = client.v1.billing.meters.list(params={"status": "inactive", "limit": 100})
    assert meter.id in [found.id for found in listed.data]
    active = client.v1.billing.meters.reactivate(meter.id)
    assert (active.status, active.status_transitions.deactivated_at) == ("active", None)


def test_metered_price_needs_an_active_meter(
    client: stripe.StripeClient, meter: stripe.billing.Meter
) -> None:
    product = client.v1.products.create(params={"name": "Metered"})
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 5,
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id},
        }
    )
    assert price.recurring is not None
    assert (price.recurring.usage_type, price.recurring.meter) == ("metered", meter.id)
    listed = client.v1.prices.list(params={"recurring": {"meter": meter.id}})
    assert [found.id for found in listed.data] == [price.id]
    with pytest.raises(stripe.InvalidRequestError) as no_meter:
        client.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 5,
                "recurring": {"interval": "month", "usage_type": "metered"},
            }
        )
    assert no_meter.value.param == "recurring[meter]"


def test_meter_event_shape_and_identifier_dedupe(
    client: stripe.StripeClient, meter: stripe.billing.Meter
) -> None:
    customer = client.v1.customers.create(params={"email": "meter@example.com"})
    identifier = f"usage-{uuid.uuid4().hex}"
    event = client.v1.billing.meter_events.create(
        params={
            "event_name": meter.event_name,
            "payload": {"stripe_customer_id": customer.id, "value": "25"},
            "identifier": identifier,
        }
    )
    assert event.object == "billing.meter_event"
    assert (event.event_name, event.identifier) == (meter.event_name, identifier)
    assert event.payload.to_dict() == {"stripe_customer_id": customer.id, "value": "25"}
    with pytest.raises(stripe.InvalidRequestError) as duplicate:
        client.v1.billing.meter_events.create(
            params={
                "event_name": meter.event_name,
                "payload": {"stripe_customer_id": customer.id, "value": "25"},
                "identifier": identifier,
            }
        )
    assert duplicate.value.user_message == f"An event already exists with identifier {identifier}."


@pytest.mark.emulator_only
def test_summaries_add_up_one_customer(
    client: stripe.StripeClient, meter: stripe.billing.Meter, control: EmulatorControl
) -> None:
    # Stripe aggregates asynchronously; the emulator counts at once (docs/emulator.md).
    ada = client.v1.customers.create(params={"email": "ada@example.com"})
    bob = client.v1.customers.create(params={"email": "bob@example.com"})
    now = control.now()
    for customer, value in ((ada, "3"), (ada, "4"), (bob, "100")):
        client.v1.billing.meter_events.create(
            params={
                "event_name": meter.event_name,
                "payload": {"stripe_customer_id": customer.id, "value": value},
                "timestamp": now - 30,
            }
        )
    start = (now - 3600) // 3600 * 3600
    end = (now + 3600) // 3600 * 3600
    summaries = client.v1.billing.meters.event_summaries.list(
        meter.id, params={"customer": ada.id, "start_time": start, "end_time": end}
    )
    assert [(s.aggregated_value, s.start_time, s.end_time) for s in summaries.data] == [
        (7.0, start, end)
    ]
    hourly = client.v1.billing.meters.event_summaries.list(
        meter.id,
        params={
            "customer": ada.id,
            "start_time": start,
            "end_time": end,
            "value_grouping_window": "hour",
        },
    )
    assert [s.aggregated_value for s in hourly.data] == (
        [7.0, 0.0] if (now - 30) >= start + 3600 else [0.0, 7.0]
    )


@pytest.mark.emulator_only
def test_deactivated_meter_counts_no_new_events(
    client: stripe.StripeClient, meter: stripe.billing.Meter, control: EmulatorControl
) -> None:
    customer = client.v1.customers.create(params={"email": "off@example.com"})
    payload = {"stripe_customer_id": customer.id, "value": "5"}
    client.v1.billing.meter_events.create(
        params={"event_name": meter.event_name, "payload": payload}
    )
    client.v1.billing.meters.deactivate(meter.id)
    client.v1.billing.meter_events.create(
        params={"event_name": meter.event_name, "payload": payload}
    )
    now = control.now()
    window: MeterEventSummaryListParams = {
        "customer": customer.id,
        "start_time": now // 60 * 60 - 60,
        "end_time": now // 60 * 60 + 60,
    }
    (summary,) = client.v1.billing.meters.event_summaries.list(meter.id, params=window).data
    assert summary.aggregated_value == 5.0
