"""Active entitlements, and `entitlements.active_entitlement_summary.updated` when they change.

A customer's active entitlements are computed from their subscriptions whenever asked
(`entitlements` lists them). The emulator remembers, per customer, the active
entitlements it last announced; after every subscription event (it listens through
`Router.on_event`) and when a feature is attached to or detached from a product, it
recomputes them and sends the summary only when the set of features differs.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from reconciler.emulator.events import emit

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator
    from reconciler.emulator.store import StripeObject

EVENT = "entitlements.active_entitlement_summary.updated"
# Subscription statuses that keep a customer entitled ("an active subscription").
ENTITLING_STATUSES = ("active", "trialing", "past_due")


def _entitlement_id(customer_id: str, feature_id: str) -> str:
    # Stable for as long as the entitlement lasts, as Stripe's ids are.
    digest = hashlib.sha256(f"{customer_id}:{feature_id}".encode()).hexdigest()
    return f"ent_test_{digest[:24]}"


def active_entitlements(emulator: Emulator, customer_id: str) -> list[StripeObject]:
    """The customer's active entitlements, one per feature, newest feature first."""
    products = {
        item["price"]["product"]
        for subscription in emulator.subscriptions.values()
        if subscription["customer"] == customer_id and subscription["status"] in ENTITLING_STATUSES
        for item in subscription["items"]["data"]
    }
    features = {
        attached["entitlement_feature"]["id"]: attached["entitlement_feature"]
        for attached in emulator.product_features.values()
        if emulator.product_feature_owner.get(attached["id"]) in products
    }
    return [
        {
            "id": _entitlement_id(customer_id, feature["id"]),
            "object": "entitlements.active_entitlement",
            "feature": feature["id"],
            "livemode": False,
            "lookup_key": feature["lookup_key"],
        }
        for feature in reversed(list(features.values()))
    ]


def summary(customer_id: str, entitlements: list[StripeObject]) -> StripeObject:
    """The `entitlements.active_entitlement_summary` object (docs: its object reference)."""
    return {
        "object": "entitlements.active_entitlement_summary",
        "customer": customer_id,
        "entitlements": {
            "object": "list",
            "data": entitlements,
            "has_more": False,
            "url": "/v1/entitlements/active_entitlements",
        },
        "livemode": False,
    }


def _features(entitlements: list[StripeObject]) -> set[str]:
    return {str(entitlement["feature"]) for entitlement in entitlements}


def refresh(emulator: Emulator, customer_id: str, call: Call | None) -> None:
    """Send the summary when the customer's set of entitled features changed."""
    current = active_entitlements(emulator, customer_id)
    held = emulator.announced_entitlements.get(customer_id, [])
    if _features(current) == _features(held):
        return
    if current:
        emulator.announced_entitlements[customer_id] = current
    else:
        emulator.announced_entitlements.pop(customer_id, None)
    emit(emulator, EVENT, summary(customer_id, current), call, summary(customer_id, held))


def refresh_subscribers(emulator: Emulator, product_id: str, call: Call | None) -> None:
    """After a product's features changed: refresh every customer subscribed to it."""
    customers = {
        subscription["customer"]: None
        for subscription in emulator.subscriptions.values()
        if subscription["status"] in ENTITLING_STATUSES
        and any(item["price"]["product"] == product_id for item in subscription["items"]["data"])
    }
    for customer_id in customers:
        refresh(emulator, customer_id, call)


def remember_all(emulator: Emulator) -> None:
    """What was announced, rebuilt from the subscriptions (after loading saved state)."""
    emulator.announced_entitlements = {}
    for customer_id in {sub["customer"] for sub in emulator.subscriptions.values()}:
        current = active_entitlements(emulator, customer_id)
        if current:
            emulator.announced_entitlements[customer_id] = current


def _on_event(emulator: Emulator, event_type: str, obj: StripeObject, call: Call | None) -> None:
    if event_type.startswith("customer.subscription."):
        # Every change to a subscription may change what its customer is entitled to.
        refresh(emulator, str(obj["customer"]), call)


def register(router: Router) -> None:
    """Listen to the events that can change what a customer is entitled to."""
    router.on_event(_on_event)
