"""Writing the catalog: create, update, set the default price, archive (never delete)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import stripe

from reconciler.kinds import PRICE, PRODUCT
from reconciler.metadata import PRODUCT_KEY_KEY
from reconciler.retry import DEFAULT_POLICY, call_with_retry
from reconciler.stripe_client import stripe_errors

T = TypeVar("T")


def send(action: str, method: Callable[..., T], *args: str, params: Any, key: str) -> T:
    """One catalog write: it carries the idempotency key `key` (so a retry, by the policy or
    by a rerun of the same plan, cannot create a second object), is retried on 429, 5xx and
    connection errors (reconciler.retry), and Stripe's errors name `action`."""
    options: Any = {"idempotency_key": key}
    with stripe_errors(action):
        return call_with_retry(
            lambda: method(*args, params=params, options=options), DEFAULT_POLICY
        )


def _metadata_params(before: Mapping[str, str] | None, after: Mapping[str, str]) -> dict[str, str]:
    """The metadata to send: every wanted value, and "" for each key to delete (Stripe's way)."""
    out = dict(after)
    out.update({k: "" for k in (before or {}) if k not in after})
    return out


def create_product(client: stripe.StripeClient, state: Mapping[str, Any], key: str) -> str:
    """Create a product from its plan state (no default price yet: prices come after)."""
    params: Any = {**PRODUCT.create_params(state), "metadata": dict(state["metadata"])}
    action = f"creating product {state['metadata'].get(PRODUCT_KEY_KEY)}"
    return str(send(action, client.v1.products.create, params=params, key=key).id)


def update_product(
    client: stripe.StripeClient,
    product_id: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    key: str,
) -> None:
    """Push the differing product fields except the default price (set once prices exist)."""
    params: Any = PRODUCT.update_params(before, after)
    if before.get("metadata") != after.get("metadata"):
        params["metadata"] = _metadata_params(before.get("metadata"), after["metadata"])
    if not params:
        return
    send(
        f"updating product {product_id}",
        client.v1.products.update,
        product_id,
        params=params,
        key=key,
    )


def set_default_price(
    client: stripe.StripeClient, product_id: str, price_id: str, key: str
) -> None:
    action = f"setting the default price of {product_id} to {price_id}"
    params: Any = {"default_price": price_id}
    send(action, client.v1.products.update, product_id, params=params, key=key)


def create_price(
    client: stripe.StripeClient,
    product_id: str,
    state: Mapping[str, Any],
    key: str,
    transfer_lookup_key: bool = False,
) -> str:
    """Create a price from its plan state; `transfer_lookup_key` takes the key from its
    current holder atomically (the replacement path)."""
    params: Any = {  # a TypedDict for the SDK, built from the price's declaration
        "product": product_id,
        **PRICE.create_params(state),
        "metadata": dict(state["metadata"]),
    }
    if transfer_lookup_key and state["lookup_key"]:
        params["transfer_lookup_key"] = True
    action = f"creating price {state['lookup_key']}"
    return str(send(action, client.v1.prices.create, params=params, key=key).id)


def update_price(
    client: stripe.StripeClient,
    price_id: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    key: str,
) -> None:
    """Push the fields Stripe lets a price change in place (`reconciler.kinds.price`)."""
    params: Any = PRICE.update_params(before, after)
    if before.get("metadata") != after["metadata"]:
        params["metadata"] = _metadata_params(before.get("metadata"), after["metadata"])
    if not params:
        return
    send(f"updating price {price_id}", client.v1.prices.update, price_id, params=params, key=key)


def archive(client: stripe.StripeClient, kind: str, object_id: str, key: str) -> None:
    """Set `active: false` on a product or price (the tool never deletes)."""
    service = client.v1.products if kind == "product" else client.v1.prices
    params: Any = {"active": False}
    send(f"archiving {kind} {object_id}", service.update, object_id, params=params, key=key)
