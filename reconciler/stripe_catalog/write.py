"""Writing the catalog: create, update, set the default price, archive (never delete)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import stripe

from reconciler.kinds import PRICE, PRODUCT
from reconciler.metadata import PRODUCT_KEY_KEY
from reconciler.recovery import created_since, write_once
from reconciler.retry import DEFAULT_POLICY, call_with_retry
from reconciler.stripe_catalog.paging import list_all, page_caller
from reconciler.stripe_client import stripe_errors

T = TypeVar("T")


def send(
    action: str,
    method: Callable[..., T],
    *args: str,
    params: Any,
    key: str,
    find: Callable[[], T | None] | None = None,
) -> T:
    """One catalog write: it carries the idempotency key `key` (so a retry, by the policy or
    by a rerun of the same plan, cannot create a second object), is retried on 429, 5xx and
    connection errors (reconciler.retry), and Stripe's errors name `action`.

    When the outcome stays unknown (a 5xx Stripe saved for the key, a lost connection),
    `find` reads Stripe back for what the write would have made (reconciler.recovery); when it
    finds nothing, or for an update (`find` None: setting the same values again is harmless),
    the write is sent again with a new key."""

    def attempt(round_key: str) -> T:
        options: Any = {"idempotency_key": round_key}
        return call_with_retry(
            lambda: method(*args, params=params, options=options), DEFAULT_POLICY
        )

    with stripe_errors(action):
        return write_once(attempt, find or (lambda: None), key)


def _recent(lister: Any, params: dict[str, Any], started: float) -> Iterator[dict[str, Any]]:
    """Objects of a list endpoint created since just before `started`, newest first."""
    page = page_caller(DEFAULT_POLICY)
    return list_all(lister, {**params, "created": created_since(started)}, page)


def metadata_params(before: Mapping[str, str] | None, after: Mapping[str, str]) -> dict[str, str]:
    """The metadata to send: every wanted value, and "" for each key to delete (Stripe's way)."""
    out = dict(after)
    out.update({k: "" for k in (before or {}) if k not in after})
    return out


def create_product(client: stripe.StripeClient, state: Mapping[str, Any], key: str) -> str:
    """Create a product from its plan state (no default price yet: prices come after)."""
    params: Any = {**PRODUCT.create_params(state), "metadata": dict(state["metadata"])}
    plan_key = state["metadata"].get(PRODUCT_KEY_KEY)
    started = time.time()

    def find() -> Any:
        for product in _recent(client.v1.products, {}, started):
            if (product.get("metadata") or {}).get(PRODUCT_KEY_KEY) == plan_key:
                return client.v1.products.retrieve(product["id"])
        return None

    action = f"creating product {plan_key}"
    return str(send(action, client.v1.products.create, params=params, key=key, find=find).id)


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
        params["metadata"] = metadata_params(before.get("metadata"), after["metadata"])
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
    client: stripe.StripeClient, product_id: str, price_id: str | None, key: str
) -> None:
    """Point the product's default price at `price_id`, or unset it (None: Stripe takes
    `default_price=""`), which Stripe requires before it archives that price."""
    if price_id is None:
        action = f"unsetting the default price of {product_id}"
    else:
        action = f"setting the default price of {product_id} to {price_id}"
    params: Any = {"default_price": price_id or ""}
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
    started = time.time()

    def find() -> Any:
        # Only a price this write made matches: created since it began, same product, lookup
        # key, currency and metadata (the metadata names the plan price it stands for).
        wanted = {"product": product_id, "active": state["active"]}
        for price in _recent(client.v1.prices, wanted, started):
            same = (price.get("lookup_key") or None) == (state["lookup_key"] or None)
            same = same and price.get("currency") == state["currency"]
            if same and (price.get("metadata") or {}) == dict(state["metadata"]):
                return client.v1.prices.retrieve(price["id"])
        return None

    action = f"creating price {state['lookup_key']}"
    return str(send(action, client.v1.prices.create, params=params, key=key, find=find).id)


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
        params["metadata"] = metadata_params(before.get("metadata"), after["metadata"])
    if not params:
        return
    send(f"updating price {price_id}", client.v1.prices.update, price_id, params=params, key=key)


def archive(client: stripe.StripeClient, kind: str, object_id: str, key: str) -> None:
    """Set `active: false` on a product or price (the tool never deletes)."""
    service = client.v1.products if kind == "product" else client.v1.prices
    params: Any = {"active": False}
    send(f"archiving {kind} {object_id}", service.update, object_id, params=params, key=key)
