"""Writing the catalog: create, update, set the default price, archive (never delete)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import stripe

from reconciler.metadata import PRODUCT_KEY_KEY
from reconciler.retry import DEFAULT_POLICY, call_with_retry
from reconciler.stripe_client import stripe_errors

T = TypeVar("T")


# --- Write side: every call carries an idempotency key, so a retried request (by the retry
# policy or by a rerun of the same plan) cannot create a second object.


def retried_write(call: Callable[[], T]) -> T:
    """One catalog write, retried on 429, 5xx and connection errors (reconciler.retry)."""
    return call_with_retry(call, DEFAULT_POLICY)


def idempotency_options(idempotency_key: str) -> Any:
    return {"idempotency_key": idempotency_key}


def _metadata_params(before: Mapping[str, str] | None, after: Mapping[str, str]) -> dict[str, str]:
    """The metadata to send: every wanted value, and "" for each key to delete (Stripe's way)."""
    out = dict(after)
    out.update({k: "" for k in (before or {}) if k not in after})
    return out


def _amount_params(name: str, text: str | None) -> dict[str, Any]:
    """`unit_amount` for whole minor units, `unit_amount_decimal` only for fractions."""
    if text is None:
        return {}
    amount = Decimal(text)
    if amount == amount.to_integral_value():
        return {name: int(amount)}
    return {f"{name}_decimal": text}


def _tier_params(tier: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "up_to": tier["up_to"],
        **_amount_params("unit_amount", tier["unit_amount"]),
        **_amount_params("flat_amount", tier["flat_amount"]),
    }


def create_product(client: stripe.StripeClient, state: Mapping[str, Any], key: str) -> str:
    """Create a product from its plan state (no default price yet: prices come after)."""
    params: Any = {  # a TypedDict for the SDK, built field by field
        "name": state["name"],
        "active": state["active"],
        "metadata": dict(state["metadata"]),
    }
    if state.get("description"):
        params["description"] = state["description"]
    with stripe_errors(f"creating product {state['metadata'].get(PRODUCT_KEY_KEY)}"):
        created = retried_write(
            lambda: client.v1.products.create(params=params, options=idempotency_options(key))
        )
    return str(created.id)


def update_product(
    client: stripe.StripeClient,
    product_id: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    key: str,
) -> None:
    """Push the differing product fields except the default price (set once prices exist)."""
    params: Any = {}  # a TypedDict for the SDK, built field by field
    for name in ("name", "active"):
        if before.get(name) != after.get(name):
            params[name] = after[name]
    if before.get("description") != after.get("description"):
        params["description"] = after.get("description") or ""
    if before.get("metadata") != after.get("metadata"):
        params["metadata"] = _metadata_params(before.get("metadata"), after["metadata"])
    if not params:
        return
    with stripe_errors(f"updating product {product_id}"):
        retried_write(
            lambda: client.v1.products.update(
                product_id, params=params, options=idempotency_options(key)
            )
        )


def set_default_price(
    client: stripe.StripeClient, product_id: str, price_id: str, key: str
) -> None:
    with stripe_errors(f"setting the default price of {product_id} to {price_id}"):
        params: Any = {"default_price": price_id}
        retried_write(
            lambda: client.v1.products.update(
                product_id, params=params, options=idempotency_options(key)
            )
        )


def create_price(
    client: stripe.StripeClient,
    product_id: str,
    state: Mapping[str, Any],
    key: str,
    transfer_lookup_key: bool = False,
) -> str:
    """Create a price from its plan state; `transfer_lookup_key` takes the key from its
    current holder atomically (the replacement path)."""
    params: Any = {  # a TypedDict for the SDK, built field by field
        "product": product_id,
        "currency": state["currency"],
        "tax_behavior": state["tax_behavior"],
        "metadata": dict(state["metadata"]),
        "active": state["active"],
    }
    if state["lookup_key"]:
        params["lookup_key"] = state["lookup_key"]
        if transfer_lookup_key:
            params["transfer_lookup_key"] = True
    if state["nickname"]:
        params["nickname"] = state["nickname"]
    if state["recurring"]:
        params["recurring"] = dict(state["recurring"])
    if state["tiers"]:
        params["billing_scheme"] = "tiered"
        params["tiers_mode"] = state["tiers_mode"]
        params["tiers"] = [_tier_params(t) for t in state["tiers"]]
    else:
        params.update(_amount_params("unit_amount", state["unit_amount"]))
    with stripe_errors(f"creating price {state['lookup_key']}"):
        created = retried_write(
            lambda: client.v1.prices.create(params=params, options=idempotency_options(key))
        )
    return str(created.id)


def update_price(
    client: stripe.StripeClient,
    price_id: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    key: str,
) -> None:
    """Push the fields Stripe lets a price change: active, metadata, nickname, lookup key and
    tax behaviour (only while unspecified)."""
    params: Any = {}  # a TypedDict for the SDK, built field by field
    if before.get("active") != after["active"]:
        params["active"] = after["active"]
    if before.get("nickname") != after["nickname"]:
        params["nickname"] = after["nickname"] or ""
    if before.get("tax_behavior") != after["tax_behavior"]:
        params["tax_behavior"] = after["tax_behavior"]
    if before.get("lookup_key") != after["lookup_key"]:
        params["lookup_key"] = after["lookup_key"] or ""
        params["transfer_lookup_key"] = True
    if before.get("metadata") != after["metadata"]:
        params["metadata"] = _metadata_params(before.get("metadata"), after["metadata"])
    if not params:
        return
    with stripe_errors(f"updating price {price_id}"):
        retried_write(
            lambda: client.v1.prices.update(
                price_id, params=params, options=idempotency_options(key)
            )
        )


def archive(client: stripe.StripeClient, kind: str, object_id: str, key: str) -> None:
    """Set `active: false` on a product or price (the tool never deletes)."""
    service = client.v1.products if kind == "product" else client.v1.prices
    with stripe_errors(f"archiving {kind} {object_id}"):
        params: Any = {"active": False}
        retried_write(
            lambda: service.update(object_id, params=params, options=idempotency_options(key))
        )
