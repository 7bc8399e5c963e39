"""The sync rule: which of a customer's subscriptions governs access, and what is cached (pure).

Rule: among all the customer's subscriptions (every status), those whose status grants
access (`active`, `trialing`, `past_due`) come first; then those holding a base plan (an item
whose product is not an add-on), so an add-on bought on a subscription of its own never
governs; within each group the newest (`created`, then id) wins. The governing item is the
subscription's first base item (its first item when all are add-ons). So a new active
subscription beats an old canceled one, and an active one beats a newer canceled or incomplete
one. No subscription at all caches
`{"status": "none"}`.

The cached value also keeps `items`: every item (price id, quantity) of every subscription
whose status grants access, governing subscription first, so add-ons and seats bought on other
items or other subscriptions count too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

# Statuses that grant the subscribed plan. past_due keeps access while Stripe retries payment.
ACCESS_STATUSES = frozenset({"active", "trialing", "past_due"})
NONE: dict[str, Any] = {"status": "none"}
# Whether a subscription item is an add-on (by its price's product).
AddOn = Callable[[Mapping[str, Any]], bool]


def no_add_ons(_item: Mapping[str, Any]) -> bool:
    return False


def item_product(item: Mapping[str, Any]) -> str | None:
    """The product id of a subscription item's price (expanded or not)."""
    price = item.get("price")
    product = price.get("product") if isinstance(price, Mapping) else None
    if isinstance(product, Mapping):
        product = product.get("id")
    return None if product is None else str(product)


def add_on_products(products: Collection[str]) -> AddOn:
    """The `AddOn` test for an account whose add-on products are `products` (ids)."""
    return lambda item: item_product(item) in products


def _items(subscription: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((subscription.get("items") or {}).get("data") or [])


def ranked(
    subscriptions: Iterable[Mapping[str, Any]], add_on: AddOn = no_add_ons
) -> list[Mapping[str, Any]]:
    """The subscriptions in the rule's order: the governing one first."""
    return sorted(
        subscriptions,
        key=lambda s: (
            s.get("status") in ACCESS_STATUSES,
            any(not add_on(item) for item in _items(s)),
            int(s.get("created") or 0),
            str(s.get("id") or ""),
        ),
        reverse=True,
    )


def governing(
    subscriptions: Iterable[Mapping[str, Any]], add_on: AddOn = no_add_ons
) -> Mapping[str, Any] | None:
    """The subscription that governs access, by the rule above; None when there is none."""
    order = ranked(subscriptions, add_on)
    return order[0] if order else None


def _governing_item(subscription: Mapping[str, Any], add_on: AddOn) -> Mapping[str, Any]:
    items = _items(subscription)
    return next((i for i in items if not add_on(i)), items[0] if items else {})


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


def summarize(
    subscriptions: Iterable[Mapping[str, Any]], add_on: AddOn = no_add_ons
) -> dict[str, Any]:
    """The cached form of a customer's subscriptions: the governing one's fields (a plain
    dict, with `default_payment_method` expanded) and `items` granted by all of them;
    `{"status": "none"}` when there is none. `add_on` tells add-on items (see the rule).

    Period fields live on the first item (Stripe API 2025-03 and later); the subscription's
    own fields are read when an older API version put them there.
    """
    order = ranked(subscriptions, add_on)
    if not order:
        return dict(NONE)
    subscription = order[0]
    item = _governing_item(subscription, add_on)
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
