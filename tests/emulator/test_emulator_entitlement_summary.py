"""`entitlements.active_entitlement_summary.updated` through the official SDK and a webhook."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
import stripe

from reconciler.testing import EmulatorControl
from tests.emulator.helpers import new_customer
from tests.emulator.test_emulator_webhooks import Receiver

# Stripe updates entitlements asynchronously; the emulator at once, so these need it.
pytestmark = pytest.mark.emulator_only

EVENT: Final = "entitlements.active_entitlement_summary.updated"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


def _feature(client: stripe.StripeClient, name: str) -> stripe.entitlements.Feature:
    key = f"{name}-{uuid.uuid4().hex[:8]}"
    return client.v1.entitlements.features.create(params={"lookup_key": key, "name": name})


def _price(client: stripe.StripeClient, *features: stripe.entitlements.Feature) -> stripe.Price:
    product = client.v1.products.create(params={"name": f"Plan {uuid.uuid4().hex[:6]}"})
    for feature in features:
        client.v1.products.features.create(product.id, params={"entitlement_feature": feature.id})
    return client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
        }
    )


def _summaries(client: stripe.StripeClient) -> list[stripe.Event]:
    return list(reversed(client.v1.events.list(params={"type": EVENT, "limit": 100}).data))


def _keys(event: stripe.Event) -> list[str]:
    return [entitlement["lookup_key"] for entitlement in event.data.object["entitlements"]["data"]]


def test_sent_when_the_set_of_features_changes(client: stripe.StripeClient) -> None:
    seats, sso = _feature(client, "seats"), _feature(client, "sso")
    basic, pro, other_basic = (
        _price(client, seats),
        _price(client, seats, sso),
        _price(client, seats),
    )
    customer = new_customer(client)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": basic.id}]}
    )
    (created,) = _summaries(client)
    shown = created.data.object
    assert (shown["object"], shown["customer"], shown["livemode"]) == (
        "entitlements.active_entitlement_summary",
        customer.id,
        False,
    )
    assert shown["entitlements"]["object"] == "list"
    assert shown["entitlements"]["has_more"] is False
    (entitlement,) = shown["entitlements"]["data"]
    listed = client.v1.entitlements.active_entitlements.list(params={"customer": customer.id})
    assert entitlement.to_dict() == listed.data[0].to_dict()
    assert created.data.previous_attributes is not None
    assert created.data.previous_attributes["entitlements"]["data"] == []

    item = sub["items"].data[0].id
    # Another product granting the same features: the set is unchanged, nothing is sent.
    client.v1.subscriptions.update(
        sub.id, params={"items": [{"id": item, "price": other_basic.id}]}
    )
    client.v1.subscriptions.update(sub.id, params={"metadata": {"k": "v"}})
    assert len(_summaries(client)) == 1

    client.v1.subscriptions.update(sub.id, params={"items": [{"id": item, "price": pro.id}]})
    upgraded = _summaries(client)[-1]
    assert sorted(_keys(upgraded)) == sorted([seats.lookup_key, sso.lookup_key])
    assert upgraded.data.previous_attributes is not None
    previous = upgraded.data.previous_attributes["entitlements"]["data"]
    assert [entitlement["lookup_key"] for entitlement in previous] == [seats.lookup_key]

    client.v1.subscriptions.cancel(sub.id)
    ended = _summaries(client)[-1]
    assert (len(_summaries(client)), _keys(ended)) == (3, [])


def test_not_sent_for_features_already_held_elsewhere(client: stripe.StripeClient) -> None:
    seats = _feature(client, "seats")
    customer = new_customer(client)
    first = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": _price(client, seats).id}]}
    )
    client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": _price(client, seats).id}]}
    )
    client.v1.subscriptions.cancel(first.id)
    assert [_keys(event) for event in _summaries(client)] == [[seats.lookup_key]]


def test_not_sent_for_a_subscription_that_never_entitles(client: stripe.StripeClient) -> None:
    seats = _feature(client, "seats")
    customer = new_customer(client, card=False)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": _price(client, seats).id}]}
    )
    assert sub.status == "incomplete"
    client.v1.subscriptions.cancel(sub.id)
    assert _summaries(client) == []


def test_sent_when_a_feature_is_attached_to_a_subscribed_product(
    client: stripe.StripeClient,
) -> None:
    seats, sso = _feature(client, "seats"), _feature(client, "sso")
    price = _price(client, seats)
    customer = new_customer(client)
    client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    attached = client.v1.products.features.create(
        str(price.product), params={"entitlement_feature": sso.id}
    )
    assert sorted(_keys(_summaries(client)[-1])) == sorted([seats.lookup_key, sso.lookup_key])
    client.v1.products.features.delete(str(price.product), attached.id)
    assert [_keys(event) for event in _summaries(client)][-1] == [seats.lookup_key]
    assert len(_summaries(client)) == 3


def test_delivered_to_webhook_endpoints(
    client: stripe.StripeClient, control: EmulatorControl, receiver: Receiver
) -> None:
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": [EVENT]}
    )
    assert endpoint.secret is not None
    seats = _feature(client, "seats")
    customer = new_customer(client)
    client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": _price(client, seats).id}]}
    )
    assert control.flush_webhooks() == 0
    assert receiver.event_types() == [EVENT]
    header, body = receiver.deliveries[0]
    event = stripe.Webhook.construct_event(body.decode(), header, endpoint.secret)
    assert event.data.object["customer"] == customer.id
    assert json.loads(body)["data"]["object"]["entitlements"]["data"][0]["feature"] == seats.id


def test_a_reloaded_emulator_remembers_what_it_announced(tmp_path: Path) -> None:
    from reconciler.emulator import run_in_thread
    from reconciler.emulator.persistence import load, save

    def client_for(url: str) -> stripe.StripeClient:
        return stripe.StripeClient("sk_test_p", base_addresses={"api": url}, max_network_retries=0)

    with run_in_thread() as first:
        client = client_for(first.url)
        seats = _feature(client, "seats")
        customer = new_customer(client)
        sub = client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": _price(client, seats).id}]}
        )
        assert len(_summaries(client)) == 1
        save(first.emulator, tmp_path / "state.json")
    with run_in_thread() as second:
        load(second.emulator, tmp_path / "state.json")
        client = client_for(second.url)
        client.v1.subscriptions.update(sub.id, params={"metadata": {"k": "v"}})
        assert len(_summaries(client)) == 1
        client.v1.subscriptions.cancel(sub.id)
        assert [_keys(event) for event in _summaries(client)][-1] == []
        assert len(_summaries(client)) == 2
