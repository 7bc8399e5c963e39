"""Desired and live objects as the same plain JSON state, so one comparison serves both.

A state holds exactly what the tool pushes to Stripe: for prices the billing terms and the
metadata strings `metadata.price_metadata` produces, for products the fields and
`metadata.product_metadata`. The live side uses Stripe's metadata strings as stored, so keys to
delete and unparsable values show up as differences instead of being defaulted away.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reconciler.metadata import (
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    PRODUCT_KEY_KEY,
    price_metadata,
    product_metadata,
)
from reconciler.model import Config, Price, Product, Tier
from reconciler.reconcile.changes import State
from reconciler.stripe_catalog import LiveCatalog, LivePrice, LiveProduct

# Fields Stripe never changes on an existing price: a difference in one means a replacement.
IMMUTABLE_PRICE_FIELDS = ("product", "currency", "unit_amount", "recurring", "tiers_mode", "tiers")


def amount_text(value: Decimal | None) -> str | None:
    """`Decimal("4900")` -> `"4900"`, `Decimal("0.50")` -> `"0.5"`: one spelling per amount."""
    return None if value is None else format(value.normalize(), "f")


def _tier(tier: Tier) -> dict[str, Any]:
    return {
        "up_to": "inf" if tier.up_to is None else tier.up_to,
        "unit_amount": amount_text(tier.unit_amount),
        "flat_amount": amount_text(tier.flat_amount),
    }


def _terms(price: Price, product_key: str) -> dict[str, Any]:
    recurring = price.recurring
    return {
        "product": product_key,
        "currency": price.currency.lower(),
        "unit_amount": None if price.tiers else amount_text(price.unit_amount),
        "recurring": {"interval": recurring.interval, "interval_count": recurring.interval_count}
        if recurring
        else None,
        "tiers_mode": price.tiers_mode if price.tiers else None,
        "tiers": [_tier(t) for t in price.tiers],
        "tax_behavior": price.tax_behavior,
        "nickname": price.nickname,
        "active": price.active,
        "lookup_key": price.lookup_key,
    }


def desired_price_state(price: Price, product_key: str, config: Config) -> State:
    """What the plan pushes for one price."""
    metadata = dict(sorted(price_metadata(price, config).items()))
    return {**_terms(price, product_key), "metadata": metadata}


def live_product_key(live: LiveCatalog, product_id: str) -> str:
    """The plan key of a price's product, or its Stripe id when it has none."""
    product = live.product_by_id(product_id)
    return product.key if product is not None and product.key else product_id


def live_price_state(price: LivePrice, product_key: str) -> State:
    """What Stripe holds for one price, metadata strings as stored."""
    metadata = dict(sorted(price.stripe_metadata.items()))
    return {**_terms(price.price, product_key), "metadata": metadata}


def desired_product_state(product: Product) -> State:
    return {
        "name": product.name,
        "description": product.description,
        "active": product.active,
        "metadata": dict(sorted(product_metadata(product).items())),
        "default_price": product.default_price,
    }


def live_product_state(product: LiveProduct, live: LiveCatalog) -> State:
    metadata = dict(product.metadata)
    if product.key is not None:
        metadata[PRODUCT_KEY_KEY] = product.key
    if product.managed:
        metadata[MANAGED_BY_KEY] = MANAGED_BY_VALUE
    return {
        "name": product.name,
        "description": product.description,
        "active": product.active,
        "metadata": dict(sorted(metadata.items())),
        "default_price": default_price_name(product, live),
    }


def default_price_name(product: LiveProduct, live: LiveCatalog) -> str | None:
    """The default price as the plan names it: its lookup key, or `(price_id)` without one."""
    if product.default_price_id is None:
        return None
    price = live.price_by_id(product.default_price_id)
    if price is not None and price.price.lookup_key:
        return price.price.lookup_key
    return f"({product.default_price_id})"


def needs_replacement(before: State, after: State) -> bool:
    """True when a field Stripe cannot update differs (tax behaviour only once it is set)."""
    if any(before[name] != after[name] for name in IMMUTABLE_PRICE_FIELDS):
        return True
    was = str(before["tax_behavior"])
    return was != str(after["tax_behavior"]) and was != "unspecified"
