"""One write interface for every kind, so the reconcile engine never names a kind: create,
update, retire and the default-price reference, each dispatched here to the kind's own calls
(`write.py` for products and prices, `objects.py` for account-level objects)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe

from reconciler.stripe_catalog.objects import (
    Resolve,
    create_object,
    retire_object,
    update_object,
)
from reconciler.stripe_catalog.write import (
    archive,
    create_price,
    create_product,
    set_default_price,
    update_price,
    update_product,
)


def _with_meter_id(state: Mapping[str, Any], resolve: Resolve) -> dict[str, Any]:
    """A price state whose meter (named by event name) is its Stripe id."""
    recurring = state.get("recurring")
    if not recurring or not recurring.get("meter"):
        return dict(state)
    return {**state, "recurring": {**recurring, "meter": resolve("meter", str(recurring["meter"]))}}


def create(
    client: stripe.StripeClient,
    kind: str,
    state: Mapping[str, Any],
    resolve: Resolve,
    key: str,
    parent_id: str | None = None,
    takes_over: bool = False,
    chosen_id: str | None = None,
) -> str:
    """Create one object from its plan state; `parent_id` is its product (prices),
    `takes_over` moves its identity from the object holding it (a replacement price), and
    `chosen_id` is the id the plan files choose (a coupon's own id)."""
    if kind == "product":
        return create_product(client, state, key)
    if kind == "price":
        return create_price(client, str(parent_id), _with_meter_id(state, resolve), key, takes_over)
    return create_object(client, kind, state, resolve, key, chosen_id)


def update(
    client: stripe.StripeClient,
    kind: str,
    object_id: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    resolve: Resolve,
    key: str,
) -> None:
    """Push the fields Stripe changes in place, and metadata."""
    if kind == "product":
        update_product(client, object_id, before, after, key)
    elif kind == "price":
        update_price(client, object_id, before, after, key)
    else:
        update_object(client, kind, object_id, before, after, resolve, key)


def retire(client: stripe.StripeClient, kind: str, object_id: str, owner: str, key: str) -> None:
    """Take an object out of use without deleting it (`reconciler.kinds.rules.Retire`)."""
    if kind in ("product", "price"):
        archive(client, kind, object_id, key)
    else:
        retire_object(client, kind, object_id, owner, key)


def set_default(
    client: stripe.StripeClient, product_id: str, price_id: str | None, key: str
) -> None:
    """Point a product's default price at `price_id`, or unset it."""
    set_default_price(client, product_id, price_id, key)
