"""Subscriptions of a price: counted for a plan's entitlement impact, moved by a migration."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import stripe

from reconciler.retry import DEFAULT_POLICY
from reconciler.stripe_catalog.paging import Pace, Progress, list_all, no_progress, page_caller
from reconciler.stripe_catalog.write import send
from reconciler.stripe_client import stripe_errors

# Subscriptions that hold entitlements: the ones an impact count and a migration care about.
ENTITLED_STATUSES = ("active", "trialing")


@dataclass(frozen=True)
class SubscriptionItemRef:
    """A subscription item on a given price: what a migration moves."""

    subscription_id: str
    item_id: str


def subscription_items(
    client: stripe.StripeClient,
    price_id: str,
    statuses: tuple[str, ...] = ENTITLED_STATUSES,
    pace: Pace | None = None,
) -> tuple[SubscriptionItemRef, ...]:
    """The items on `price_id` of subscriptions in `statuses`, one list call per 100 (each
    after `pace()`, when given)."""
    found: list[SubscriptionItemRef] = []
    call = page_caller(DEFAULT_POLICY, pace)
    with stripe_errors(f"listing subscriptions of {price_id}"):
        for status in statuses:
            query = {"price": price_id, "status": status}
            for sub in list_all(client.v1.subscriptions, query, call):
                for item in (sub.get("items") or {}).get("data") or ():
                    item_price = item.get("price") or {}
                    pid = item_price if isinstance(item_price, str) else item_price.get("id")
                    if pid == price_id:
                        found.append(SubscriptionItemRef(sub["id"], item["id"]))
    return tuple(found)


def move_subscription_item(
    client: stripe.StripeClient,
    ref: SubscriptionItemRef,
    new_price_id: str,
    proration_behavior: str,
    key: str,
) -> None:
    """Swap one subscription item to another price, prorated as the product says."""
    params: Any = {  # a TypedDict for the SDK, built field by field
        "items": [{"id": ref.item_id, "price": new_price_id}],
        "proration_behavior": proration_behavior,
    }
    action = f"moving subscription {ref.subscription_id} to {new_price_id}"
    send(action, client.v1.subscriptions.update, ref.subscription_id, params=params, key=key)


# Subscriptions still paying a price: what makes an archived price grandfathered.
PAYING_STATUSES = ("active", "trialing", "past_due")


def subscriber_counts(
    client: stripe.StripeClient,
    price_ids: Iterable[str],
    statuses: tuple[str, ...] = PAYING_STATUSES,
    progress: Progress = no_progress,
    pace: Pace | None = None,
) -> dict[str, int]:
    """Price id -> the number of subscriptions in `statuses` with an item on it (prices with
    none are left out): one list call per 100 subscriptions, per price and status."""
    counts: dict[str, int] = {}
    wanted = sorted(set(price_ids))
    for done, price_id in enumerate(wanted, 1):
        subscriptions = {
            ref.subscription_id for ref in subscription_items(client, price_id, statuses, pace)
        }
        if subscriptions:
            counts[price_id] = len(subscriptions)
        if done % 20 == 0:
            progress(f"counted the subscribers of {done}/{len(wanted)} archived prices")
    return counts
