"""Events and webhook delivery: signed, retried, and bent by the fault knobs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from reconciler.testing import EmulatorControl

pytestmark = pytest.mark.emulator_only


class Receiver:
    """A local endpoint recording every delivery; answers 500 for the first `failures`."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, bytes]] = []
        self.failures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.deliveries.append((self.headers["Stripe-Signature"], body))
                    failing = receiver.failures > 0
                    receiver.failures -= 1
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def event_types(self) -> list[str]:
        with self.lock:
            return [json.loads(body)["type"] for _, body in self.deliveries]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


def _endpoint(client: stripe.StripeClient, url: str, events: list[str]) -> str:
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": url, "enabled_events": events}  # type: ignore[typeddict-item]
    )
    assert endpoint.secret is not None and endpoint.secret.startswith("whsec_")
    return endpoint.secret


def test_endpoint_crud_shows_the_secret_once(client: stripe.StripeClient) -> None:
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]}
    )
    assert endpoint.id.startswith("we_") and endpoint.status == "enabled"
    assert endpoint.enabled_events == ["*"]
    assert "secret" not in client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert [e.id for e in client.v1.webhook_endpoints.list().data] == [endpoint.id]
    assert client.v1.webhook_endpoints.delete(endpoint.id).deleted is True


def test_deliveries_are_signed_for_the_sdk(
    client: stripe.StripeClient, control: EmulatorControl, receiver: Receiver
) -> None:
    secret = _endpoint(client, receiver.url, ["product.created", "product.updated"])
    product = client.v1.products.create(params={"name": "Hooked"})
    client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1})
    client.v1.products.update(product.id, params={"name": "Renamed"})
    assert control.flush_webhooks() == 0
    assert receiver.event_types() == ["product.created", "product.updated"]
    for header, body in receiver.deliveries:
        event = stripe.Webhook.construct_event(body.decode(), header, secret)
        assert event.data.object["id"] == product.id
    updated = json.loads(receiver.deliveries[1][1])
    assert updated["data"]["previous_attributes"]["name"] == "Hooked"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            receiver.deliveries[0][1].decode(), receiver.deliveries[0][0], "whsec_wrong"
        )


def test_failed_deliveries_are_retried(
    client: stripe.StripeClient, control: EmulatorControl, receiver: Receiver
) -> None:
    _endpoint(client, receiver.url, ["*"])
    receiver.failures = 2
    client.v1.products.create(params={"name": "Retry me"})
    assert control.flush_webhooks() == 1
    for _ in range(50):
        if control.flush_webhooks() == 0 and len(receiver.deliveries) == 3:
            break
        threading.Event().wait(0.1)
    assert receiver.event_types() == ["product.created"] * 3


def test_duplicate_and_drop_faults(
    client: stripe.StripeClient, control: EmulatorControl, receiver: Receiver
) -> None:
    _endpoint(client, receiver.url, ["product.created"])
    control.faults(webhook_duplicate=True)
    client.v1.products.create(params={"name": "Twice"})
    control.flush_webhooks()
    bodies = [json.loads(body) for _, body in receiver.deliveries]
    assert len(bodies) == 2 and bodies[0]["id"] == bodies[1]["id"]
    control.faults(webhook_duplicate=False, webhook_drop_rate=1.0)
    client.v1.products.create(params={"name": "Lost"})
    assert control.flush_webhooks() == 0
    assert len(receiver.deliveries) == 2
    assert client.v1.events.list(params={"limit": 1}).data[0].type == "product.created"


def test_shuffle_still_delivers_everything(
    client: stripe.StripeClient, control: EmulatorControl, receiver: Receiver
) -> None:
    _endpoint(client, receiver.url, ["*"])
    control.faults(webhook_shuffle=True)
    customer = client.v1.customers.create(params={"email": "s@example.com"})
    client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    control.flush_webhooks()
    assert sorted(receiver.event_types()) == ["customer.created", "payment_method.attached"]


def test_events_list_and_retrieve(client: stripe.StripeClient, raw: Any) -> None:
    answer = raw("POST", "/v1/products", "name=Evented", {"Idempotency-Key": "evt-key-1"})
    product_id = answer.body["id"]
    client.v1.products.update(product_id, params={"metadata": {"a": "1"}})
    events = client.v1.events.list()
    assert [event.type for event in events.data] == ["product.updated", "product.created"]
    created = client.v1.events.retrieve(events.data[1].id)
    assert created.id.startswith("evt_") and created.object == "event"
    assert created.livemode is False and created.api_version
    assert created.request is not None
    assert created.request.id == answer.headers["Request-Id"]
    assert created.request.idempotency_key == "evt-key-1"
    assert created.data.object["id"] == product_id
    # Each event holds its object as it was when the event was raised.
    assert created.data.object["metadata"].to_dict() == {}
    assert events.data[1].data.object["metadata"].to_dict() == {}
    assert events.data[0].data.object["metadata"].to_dict() == {"a": "1"}
    updated = events.data[0]
    assert updated.data.previous_attributes is not None
    assert updated.data.previous_attributes["metadata"].to_dict() == {"a": None}
    only = client.v1.events.list(params={"type": "product.created"})
    assert [event.id for event in only.data] == [created.id]


def test_an_endpoint_is_updated_and_a_disabled_one_gets_nothing(
    client: stripe.StripeClient, control: EmulatorControl, receiver: Receiver
) -> None:
    # docs: api/webhook_endpoints/update ("You may edit the url, the list of enabled_events,
    # and the status of your endpoint"; `disabled`: "Disable the webhook endpoint if set to
    # true", in the pinned SDK's WebhookEndpointUpdateParams).
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/old", "enabled_events": ["price.created"]}
    )
    updated = client.v1.webhook_endpoints.update(
        endpoint.id,
        params={
            "url": receiver.url,
            "enabled_events": ["product.created", "product.updated"],
            "description": "billing",
            "metadata": {"team": "payments"},
        },
    )
    assert (updated.url, updated.enabled_events, updated.description, updated.status) == (
        receiver.url,
        ["product.created", "product.updated"],
        "billing",
        "enabled",
    )
    assert updated.metadata is not None and updated.metadata.to_dict() == {"team": "payments"}
    client.v1.products.create(params={"name": "Seen"})
    disabled = client.v1.webhook_endpoints.update(endpoint.id, params={"disabled": True})
    assert disabled.status == "disabled"
    client.v1.products.create(params={"name": "Not seen"})
    assert control.flush_webhooks() == 0
    assert receiver.event_types() == ["product.created"]
    enabled = client.v1.webhook_endpoints.update(endpoint.id, params={"disabled": False})
    assert enabled.status == "enabled"
    cleared = client.v1.webhook_endpoints.update(endpoint.id, params={"description": ""})
    assert cleared.description is None
