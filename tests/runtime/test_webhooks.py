"""Webhooks through the served app and `handle_webhook`: forged, stale, duplicate, out of
order, unused events, and catalog refreshes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
import redis
import stripe

from reconciler.errors import WebhookRejected
from reconciler.runtime.store import open_store
from reconciler.runtime.webhooks import WebhookResult
from reconciler.testing import EmulatorControl, free_port
from tests.runtime.conftest import Served


def signed(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header computed the way Stripe documents it."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={digest.hexdigest()}"


def post(url: str, payload: bytes, signature: str | None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def event(event_id: str, kind: str, obj: dict[str, Any]) -> bytes:
    return json.dumps(
        {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}
    ).encode()


def store_keys(redis_url: str) -> set[bytes]:
    return {
        k if isinstance(k, bytes) else k.encode() for k in redis.Redis.from_url(redis_url).keys("*")
    }


def subscription_reads(emulator: EmulatorControl) -> int:
    return int(emulator.counters()["by_route"].get("GET /v1/subscriptions", 0))


def start_subscription(served: Served, emulator: EmulatorControl, entity: str, price: str) -> str:
    session = served.billing.checkout_session(entity, price)
    emulator.complete_checkout(session.id)
    emulator.flush_webhooks()
    return str(served.billing.get_subscription(entity)["subscription_id"])


def test_forged_missing_stale_and_garbled_deliveries_get_400_and_write_nothing(
    served: Served, redis_url: str
) -> None:
    customer = served.billing.create_stripe_customer("user_1")
    payload = event("evt_forged", "customer.subscription.deleted", {"customer": customer})
    before = store_keys(redis_url)
    cases = {
        "wrong secret": signed(payload, "whsec_not_the_secret"),
        "missing": None,
        "stale": signed(payload, served.secret, int(time.time()) - 301),
        "not a header": "garbage",
    }
    answers = {name: post(served.url, payload, sig) for name, sig in cases.items()}
    assert {name: status for name, (status, _) in answers.items()} == dict.fromkeys(cases, 400)
    assert answers["missing"][1] == {"error": "missing Stripe-Signature header"}
    assert answers["stale"][1]["error"].startswith("signature verification failed: ")
    assert "whsec_" not in json.dumps(answers)
    garbled = b"not json"
    status, body = post(served.url, garbled, signed(garbled, served.secret))
    assert (status, body) == (400, {"error": "webhook body is not a JSON event"})
    assert store_keys(redis_url) == before


def test_handle_webhook_raises_typed_errors(served: Served) -> None:
    payload = event("evt_1", "invoice.paid", {"customer": "cus_x"})
    with pytest.raises(WebhookRejected, match=r"^missing Stripe-Signature header$"):
        served.billing.handle_webhook(payload, "")
    with pytest.raises(WebhookRejected, match=r"^signature verification failed: "):
        served.billing.handle_webhook(payload, signed(payload, "whsec_other"))


def test_unused_events_answer_200_without_reading_stripe(
    served: Served, emulator: EmulatorControl
) -> None:
    emulator.reset_counters()
    payload = event("evt_unused", "customer.created", {"id": "cus_1", "object": "customer"})
    status, body = post(served.url, payload, signed(payload, served.secret))
    assert (status, body) == (200, {"action": "ignored", "id": "evt_unused", "received": True})
    assert emulator.counters()["total"] == 0


def test_each_event_id_is_processed_once(served: Served, emulator: EmulatorControl) -> None:
    customer = served.billing.create_stripe_customer("user_1")
    payload = event("evt_twice", "invoice.paid", {"customer": customer})
    reads = subscription_reads(emulator)
    first = served.billing.handle_webhook(payload, signed(payload, served.secret))
    second = served.billing.handle_webhook(payload, signed(payload, served.secret))
    assert first == WebhookResult("evt_twice", "invoice.paid", "synced", customer)
    assert second == WebhookResult("evt_twice", "invoice.paid", "duplicate", customer)
    assert subscription_reads(emulator) == reads + 1
    assert served.billing.get_subscription("user_1") == {"status": "none"}


def test_duplicated_deliveries_converge(
    served: Served, emulator: EmulatorControl, price_ids: dict[str, str]
) -> None:
    emulator.faults(webhook_duplicate=True)
    subscription = start_subscription(served, emulator, "user_1", "pro_monthly")
    cached = served.billing.get_subscription("user_1")
    assert (cached["subscription_id"], cached["status"], cached["price_id"]) == (
        subscription,
        "active",
        price_ids["pro_monthly"],
    )


def test_out_of_order_events_end_at_stripes_current_state(
    served: Served, emulator: EmulatorControl, stripe_client: stripe.StripeClient
) -> None:
    subscription = start_subscription(served, emulator, "user_1", "pro_monthly")
    stripe_client.v1.subscriptions.cancel(subscription)
    emulator.flush_webhooks()
    assert served.billing.get_subscription("user_1")["status"] == "canceled"
    # Replay every event of the account newest first, as fresh deliveries: the cache must
    # still say what Stripe says now, not what the oldest event said.
    events = stripe_client.v1.events.list(params={"limit": 100}).data
    assert len(events) > 3
    results = []
    for found in events:
        payload = json.dumps({**found.to_dict(), "id": found.id + "_replay"}, default=str).encode()
        results.append(served.billing.handle_webhook(payload, signed(payload, served.secret)))
    assert {r.action for r in results} >= {"synced", "ignored"}
    cached = served.billing.get_subscription("user_1")
    assert (cached["subscription_id"], cached["status"]) == (subscription, "canceled")
    assert served.billing.entitlements("user_1")["plan"] == "free"
    assert served.billing.entitlements("user_1")["status"] == "canceled"


def test_shuffled_deliveries_end_at_stripes_current_state(
    served: Served, emulator: EmulatorControl, stripe_client: stripe.StripeClient
) -> None:
    emulator.faults(webhook_shuffle=True)
    first = start_subscription(served, emulator, "user_1", "standard_monthly")
    stripe_client.v1.subscriptions.cancel(first)
    session = served.billing.checkout_session("user_1", "pro_yearly")
    emulator.complete_checkout(session.id)
    emulator.flush_webhooks()
    cached = served.billing.get_subscription("user_1")
    assert cached["status"] == "active"
    assert cached["subscription_id"] != first
    assert served.billing.entitlements("user_1")["plan"] == "pro"


def test_price_update_reaches_subscribers_without_a_resync(
    served: Served,
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    price_ids: dict[str, str],
) -> None:
    start_subscription(served, emulator, "user_1", "standard_yearly")
    assert served.billing.limit("user_1", "premium-credits") == 75
    stripe_client.v1.prices.update(
        price_ids["standard_yearly"], params={"metadata": {"limits:premium-credits": "90"}}
    )
    emulator.flush_webhooks()
    assert served.billing.limit("user_1", "premium-credits") == 90
    assert served.billing.get_limits("standard_yearly")["premium-credits"] == 90


def test_signed_bodies_that_are_not_event_objects_get_400_and_write_nothing(
    served: Served, redis_url: str
) -> None:
    before = store_keys(redis_url)
    for body in (b"[]", b'"x"', b"42", b"null", b'{"id": "evt_1"}', b'{"type": "invoice.paid"}'):
        status, answer = post(served.url, body, signed(body, served.secret))
        assert (body, status, answer) == (
            body,
            400,
            {"error": "webhook body is not a Stripe event object (no id or type)"},
        )
    assert store_keys(redis_url) == before


def test_an_event_for_a_customer_stripe_does_not_know_is_ignored_and_logged(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    payload = event("evt_ghost", "invoice.paid", {"customer": "cus_ghost"})
    with caplog.at_level("WARNING", logger="reconciler.webhooks"):
        status, body = post(served.url, payload, signed(payload, served.secret))
    assert (status, body) == (200, {"action": "ignored", "id": "evt_ghost", "received": True})
    logged = [r.getMessage() for r in caplog.records if r.name == "reconciler.webhooks"]
    assert logged[0].startswith(
        "webhook evt_ghost invoice.paid ignored: reading customer cus_ghost: "
        "No such customer: 'cus_ghost' (request id req_"
    )
    # Remembered like a processed event: Stripe's retry is a duplicate, not another read.
    assert post(served.url, payload, signed(payload, served.secret)) == (
        200,
        {"action": "duplicate", "id": "evt_ghost", "received": True},
    )


def test_a_store_outage_answers_503_so_stripe_retries(served: Served, redis_url: str) -> None:
    customer = served.billing.create_stripe_customer("user_1")
    payload = event("evt_later", "invoice.paid", {"customer": customer})
    served.billing.store = open_store(f"redis://127.0.0.1:{free_port()}/0")
    status, body = post(served.url, payload, signed(payload, served.secret))
    assert (status, body) == (503, {"error": "store unavailable"})
