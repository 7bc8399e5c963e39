"""Desired and live objects as the same plain JSON state, so one comparison serves both.

A state holds exactly what the tool pushes to Stripe: for prices the billing terms and the
metadata strings `metadata.price_metadata` produces, for products the fields and
`metadata.product_metadata`. The live side uses Stripe's metadata strings as stored, so keys to
delete and unparsable values show up as differences instead of being defaulted away.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.kinds import KINDS
from reconciler.kinds.identity import Identities
from reconciler.metadata import (
    ADD_ON_KEY,
    ATTACHED_FEATURES_KEY,
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    PRODUCT_KEY_KEY,
    price_metadata,
    product_metadata,
)
from reconciler.model import AccountObject, Config, Price, Product
from reconciler.reconcile.changes import State
from reconciler.stripe_catalog.live import LiveCatalog, LiveObject, LivePrice, LiveProduct


def _terms(price: Price, product_key: str) -> dict[str, Any]:
    return {"product": product_key, **price.terms}


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
        **product.terms,
        "metadata": dict(sorted(product_metadata(product).items())),
        "default_price": product.default_price,
    }


def live_product_state(
    product: LiveProduct,
    live: LiveCatalog,
    ids: Identities | None = None,
    named: Mapping[str, str] | None = None,
) -> State:
    metadata = dict(product.metadata)
    if product.key is not None:
        metadata[PRODUCT_KEY_KEY] = product.key
    if product.managed:
        metadata[MANAGED_BY_KEY] = MANAGED_BY_VALUE
    if product.add_on:
        metadata[ADD_ON_KEY] = "true"
    if product.attached_marker is not None:
        metadata[ATTACHED_FEATURES_KEY] = product.attached_marker
    return {
        **product.terms,
        "metadata": dict(sorted(metadata.items())),
        "default_price": default_price_name(product, live, ids, named),
    }


def default_price_name(
    product: LiveProduct,
    live: LiveCatalog,
    ids: Identities | None = None,
    named: Mapping[str, str] | None = None,
) -> str | None:
    """The default price as the plan names it: the lookup key of the declared price matched
    to it (`named`), else its own lookup key; for an unmanaged price without one, the key its
    identity gives it (which adoption writes onto it); else `(price_id)`."""
    if product.default_price_id is None:
        return None
    if named and product.default_price_id in named:
        return named[product.default_price_id]
    price = live.price_by_id(product.default_price_id)
    if price is not None and price.price.lookup_key:
        return price.price.lookup_key
    found = ids.get("price", product.default_price_id) if ids is not None else None
    if price is not None and not price.managed and found is not None:
        return found.key
    return f"({product.default_price_id})"


def desired_state(obj: AccountObject) -> dict[str, Any]:
    """What the plan pushes for one account-level object: its terms, and metadata with the
    ownership marker where the kind carries metadata (a coupon's plan key too: Stripe's id of
    a coupon made by the tool is its own)."""
    state = dict(obj.terms)
    if KINDS[obj.kind].rules.metadata:
        metadata = {**obj.metadata, MANAGED_BY_KEY: MANAGED_BY_VALUE}
        if KINDS[obj.kind].rules.replacement == "release_key":
            metadata[PRODUCT_KEY_KEY] = obj.key
        state["metadata"] = dict(sorted(metadata.items()))
    return state


def live_state(obj: LiveObject) -> dict[str, Any]:
    state = dict(obj.terms)
    if obj.metadata is not None:
        state["metadata"] = dict(sorted(obj.metadata.items()))
    return state


def match_live(key: str, candidates: Mapping[str, list[LiveObject]]) -> LiveObject | None:
    """The live object for a declared key: active before inactive, managed first, newest."""
    found = sorted(candidates.get(key, ()), key=lambda o: (not o.active, not o.managed, -o.created))
    return found[0] if found else None


def replacement_reasons(kind: str, before: State, after: State) -> tuple[str, ...]:
    """The differing fields that need a new object: another parent (a price moved to another
    product), or a field the kind's declaration says Stripe cannot change in place (in that
    change's direction)."""
    parent = KINDS[kind].rules.parent
    moved = (parent,) if parent and before.get(parent) != after.get(parent) else ()
    return tuple(sorted((*moved, *KINDS[kind].forcing(before, after))))


def needs_replacement(kind: str, before: State, after: State) -> bool:
    """True when the object moves to another parent or a field Stripe cannot update differs."""
    return bool(replacement_reasons(kind, before, after))
