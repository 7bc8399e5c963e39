"""The sync rule: which of a customer's subscriptions governs access, and what is cached (pure).

Rule: among all the customer's subscriptions (every status), those whose status grants
access (`active`, `trialing`, `past_due`) come first; within each group the newest
(`created`, then id) wins. So a new active subscription beats an old canceled one, and an
active one beats a newer canceled or incomplete one. No subscription at all caches
`{"status": "none"}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Statuses that grant the subscribed plan. past_due keeps access while Stripe retries payment.
ACCESS_STATUSES = frozenset({"active", "trialing", "past_due"})
NONE: dict[str, Any] = {"status": "none"}


def governing(subscriptions: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The subscription that governs access, by the rule above; None when there is none."""
    ranked = sorted(
        subscriptions,
        key=lambda s: (
            s.get("status") in ACCESS_STATUSES,
            int(s.get("created") or 0),
            str(s.get("id") or ""),
        ),
        reverse=True,
    )
    return ranked[0] if ranked else None


def _first_item(subscription: Mapping[str, Any]) -> Mapping[str, Any]:
    items = (subscription.get("items") or {}).get("data") or []
    return items[0] if items else {}


def _payment_method(subscription: Mapping[str, Any]) -> dict[str, str] | None:
    method = subscription.get("default_payment_method")
    if not isinstance(method, Mapping):
        return None
    card = method.get("card")
    if not isinstance(card, Mapping):
        return None
    return {"brand": str(card.get("brand")), "last4": str(card.get("last4"))}


def summarize(subscription: Mapping[str, Any] | None) -> dict[str, Any]:
    """The cached form of a subscription (a plain dict, with `default_payment_method`
    expanded); `{"status": "none"}` for None.

    Period fields live on the first item (Stripe API 2025-03 and later); the subscription's
    own fields are read when an older API version put them there.
    """
    if subscription is None:
        return dict(NONE)
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
    }
