"""Stripe webhooks: signature check, which events matter, and processing each event once.

Events about a customer's subscription re-read that customer's subscriptions from Stripe
(`sync`) instead of trusting the event's payload, so duplicates and out-of-order deliveries
converge on Stripe's current state. Each event id is claimed in the store; a failure releases
the claim so Stripe's retry processes it again.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import stripe

from reconciler.errors import ReconcilerError, StripeCallError, WebhookRejected
from reconciler.runtime.store.base import Store

TOLERANCE_SECONDS = 300
# How long an event id is remembered; Stripe retries a delivery for up to three days.
EVENT_MEMORY_SECONDS = 7 * 86_400

# The seed library's list: each of these re-syncs the event's customer.
SYNC_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.subscription.pending_update_applied",
        "customer.subscription.pending_update_expired",
        "customer.subscription.trial_will_end",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.payment_action_required",
        "invoice.upcoming",
        "invoice.marked_uncollectible",
        "invoice.payment_succeeded",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
    }
)
CATALOG_PREFIXES = ("product.", "price.")

Action = Literal["synced", "catalog_refreshed", "ignored", "duplicate", "no_customer", "queued"]
# Stripe's error code for an object that does not exist: a re-read that gets it can never
# succeed, so retrying the event would only repeat it.
MISSING = "resource_missing"

log = logging.getLogger("reconciler.webhooks")


@dataclass(frozen=True)
class WebhookResult:
    """What `handle_webhook` did with one verified event (every outcome answers HTTP 200)."""

    event_id: str
    type: str
    action: Action
    customer_id: str | None = None


def verify(payload: bytes, signature: str | None, secret: str | None) -> dict[str, Any]:
    """The event as a plain dict, or `WebhookRejected` for a bad body or signature."""
    if not secret:
        raise ReconcilerError("STRIPE_WEBHOOK_SECRET is not set: webhooks cannot be verified")
    if not signature:
        raise WebhookRejected("missing Stripe-Signature header")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature, secret, TOLERANCE_SECONDS)
    except UnicodeDecodeError as exc:
        raise WebhookRejected("webhook body is not UTF-8 JSON") from exc
    except stripe.SignatureVerificationError as exc:
        # Stripe's message says whether the timestamp is too old or no signature matched;
        # it never contains the secret.
        raise WebhookRejected(f"signature verification failed: {exc.user_message or exc}") from exc
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise WebhookRejected("webhook body is not a JSON event") from exc
    # A signed body is still only an event if it is an object with an id and a type
    # (`[]` or `"x"` are valid JSON and carry a valid signature just as well).
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("id"), str)
        or not isinstance(raw.get("type"), str)
    ):
        raise WebhookRejected("webhook body is not a Stripe event object (no id or type)")
    return raw


def customer_of(event: Mapping[str, Any]) -> str | None:
    """The customer id an event is about (`data.object.customer`, or the object itself)."""
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping):
        return None
    customer = obj.get("customer")
    if isinstance(customer, Mapping):
        customer = customer.get("id")
    if customer is None and obj.get("object") == "customer":
        customer = obj.get("id")
    return customer if isinstance(customer, str) and customer else None


def record_once(event_id: str, store: Store, work: Callable[[], object]) -> bool:
    """Run `work` once per event id (claimed in the store for `EVENT_MEMORY_SECONDS`);
    False, without running it, for an id seen before. A failure releases the claim so
    Stripe's retry runs it again."""
    claim, token = f"event:{event_id}", uuid.uuid4().hex
    if not store.claim(claim, token, EVENT_MEMORY_SECONDS):
        return False
    try:
        work()
    except BaseException:
        store.release(claim, token)
        raise
    return True


def process(
    event: Mapping[str, Any],
    store: Store,
    sync_customer: Callable[[str], object],
    refresh_catalog: Callable[[], object],
) -> WebhookResult:
    """Act on a verified event once per event id. An event about a customer Stripe does not
    know (deleted, or from another account) can never be processed: `ignored`, logged, and
    remembered like a processed one."""
    event_id, kind = str(event["id"]), str(event["type"])
    if kind in SYNC_EVENTS:
        customer = customer_of(event)
        if customer is None:
            return WebhookResult(event_id, kind, "no_customer")
        target = customer
        outcome: list[Action] = ["synced"]

        def work() -> None:
            try:
                sync_customer(target)
            except StripeCallError as exc:
                if exc.code != MISSING:
                    raise
                log.warning("webhook %s %s ignored: %s", event_id, kind, exc)
                outcome[0] = "ignored"

    elif kind.startswith(CATALOG_PREFIXES):
        customer, outcome = None, ["catalog_refreshed"]

        def work() -> None:
            refresh_catalog()

    else:
        return WebhookResult(event_id, kind, "ignored")
    if not record_once(event_id, store, work):
        return WebhookResult(event_id, kind, "duplicate", customer)
    return WebhookResult(event_id, kind, outcome[0], customer)
