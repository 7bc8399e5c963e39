"""The sync rule: which of a customer's subscriptions governs access, and what is cached (pure).

Rule: among all the customer's subscriptions (every status), those whose status grants
access (`active`, `trialing`, `past_due`) come first; within each group the newest
(`created`, then id) wins. So a new active subscription beats an old canceled one, and an
active one beats a newer canceled or incomplete one. No subscription at all caches
`{"status": "none"}`.

The cached value also keeps `items`: every item (price id, quantity) of every subscription
whose status grants access, governing subscription first, so add-ons and seats bought on other
items or other subscriptions count too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Statuses that grant the subscribed plan. past_due keeps access while Stripe retries payment.
ACCESS_STATUSES = frozenset({"active", "trialing", "past_due"})
NONE: dict[str, Any] = {"status": "none"}


def ranked(subscriptions: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The subscriptions in the rule's order: the governing one first."""
    return sorted(
        subscriptions,
        key=lambda s: (
            s.get("status") in ACCESS_STATUSES,
            int(s.get("created") or 0),
            str(s.get("id") or ""),
        ),
        reverse=True,
    )


def governing(subscriptions: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The subscription that governs access, by the rule above; None when there is none."""
    order = ranked(subscriptions)
    return order[0] if order else None


def _first_item(subscription: Mapping[str, Any]) -> Mapping[str, Any]:
    items = (subscription.get("items") or {}).get("data") or []
    return items[0] if items else {}


def granted_items(subscriptions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`{"price_id", "quantity"}` of every item of every subscription that grants access, in
    the order given (the caller puts the governing subscription first)."""
    items: list[dict[str, Any]] = []
    for subscription in subscriptions:
        if subscription.get("status") not in ACCESS_STATUSES:
            continue
        for item in (subscription.get("items") or {}).get("data") or []:
            price = item.get("price")
            price_id = price.get("id") if isinstance(price, Mapping) else price
            quantity = item.get("quantity")
            count = 1 if quantity is None else int(quantity)
            items.append({"price_id": price_id, "quantity": count})
    return items


def _payment_method(subscription: Mapping[str, Any]) -> dict[str, str] | None:
    method = subscription.get("default_payment_method")
    if not isinstance(method, Mapping):
        return None
    card = method.get("card")
    if not isinstance(card, Mapping):
        return None
    return {"brand": str(card.get("brand")), "last4": str(card.get("last4"))}


def summarize(subscriptions: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The cached form of a customer's subscriptions: the governing one's fields (a plain
    dict, with `default_payment_method` expanded) and `items` granted by all of them;
    `{"status": "none"}` when there is none.

    Period fields live on the first item (Stripe API 2025-03 and later); the subscription's
    own fields are read when an older API version put them there.
    """
    order = ranked(subscriptions)
    if not order:
        return dict(NONE)
    subscription = order[0]
    item = _first_item(subscription)
    price = item.get("price")
    price_id = price.get("id") if isinstance(price, Mapping) else price

    def period(name: str) -> int | None:
        value = item.get(name, subscription.get(name))
        return None if value is None else int(value)

    return {
        "subscription_id": subscription["id"],
        "status": subscription["status"],
        "price_id": price_id,
        "current_period_start": period("current_period_start"),
        "current_period_end": period("current_period_end"),
        "cancel_at_period_end": bool(subscription.get("cancel_at_period_end")),
        "payment_method": _payment_method(subscription),
        "items": granted_items(order),
    }
