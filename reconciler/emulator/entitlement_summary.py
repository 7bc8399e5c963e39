"""`entitlements.active_entitlement_summary.updated`: sent when a customer's entitlements change.

The emulator remembers, per customer, the active entitlements it last announced;
after every subscription event (and when a feature is attached to or detached
from a product) it recomputes them and sends the summary only when the set of
features differs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.emulator.entitlements import ENTITLING_STATUSES, active_entitlements
from reconciler.emulator.events import emit

if TYPE_CHECKING:
    from reconciler.emulator.router import Call
    from reconciler.emulator.state import Emulator
    from reconciler.emulator.store import StripeObject

EVENT = "entitlements.active_entitlement_summary.updated"


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
