"""The live catalog as the reconcile engine sees it: one `Held` per Stripe object of every kind,
with its state as Stripe holds it (metadata strings as stored, so keys to delete and
unparsable values show up as differences instead of being defaulted away).

References the kinds declare stay Stripe ids here (a price's product, a product's default
price), for the engine to name by the keys the plan files use. Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.kinds import KINDS
from reconciler.kinds.entries import Held
from reconciler.kinds.field import dig
from reconciler.kinds.identity import Identities
from reconciler.metadata import (
    ADD_ON_KEY,
    ATTACHED_FEATURES_KEY,
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    PRODUCT_KEY_KEY,
)
from reconciler.stripe_catalog.live import LiveCatalog, LiveObject, LivePrice, LiveProduct


def _product(product: LiveProduct) -> Held:
    metadata = dict(product.metadata)
    if product.key is not None:
        metadata[PRODUCT_KEY_KEY] = product.key
    if product.managed:
        metadata[MANAGED_BY_KEY] = MANAGED_BY_VALUE
    if product.add_on:
        metadata[ADD_ON_KEY] = "true"
    if product.attached_marker is not None:
        metadata[ATTACHED_FEATURES_KEY] = product.attached_marker
    state = {
        **product.terms,
        "metadata": dict(sorted(metadata.items())),
        "default_price": product.default_price_id,
    }
    return Held(
        "product",
        product.id,
        product.key or "",
        state,
        product.managed,
        product.active,
        product.created,
        name=product.name,
    )


def _price(price: LivePrice) -> Held:
    metadata = dict(sorted(price.stripe_metadata.items()))
    state: dict[str, Any] = {"product": price.product_id, **price.price.terms, "metadata": metadata}
    path = KINDS["price"].rules.follows_path
    followed = dig(state, path) if price.meter_id else None
    return Held(
        "price",
        price.id,
        price.price.lookup_key,
        state,
        price.managed,
        price.price.active,
        price.created,
        parent_id=price.product_id,
        follows_id=price.meter_id,
        follows_key=str(followed) if followed else None,
        legacy=price.legacy,
    )


def _object(obj: LiveObject, ids: Callable[[], Identities]) -> Held:
    """An account-level object; one made by hand is keyed by its identity (the key `import`
    writes for it), a managed one by its own key."""
    state = dict(obj.terms)
    if obj.metadata is not None:
        state["metadata"] = dict(sorted(obj.metadata.items()))
    found = None if obj.managed else ids().get(obj.kind, obj.id)
    return Held(
        obj.kind,
        obj.id,
        found.key if found is not None else obj.key,
        state,
        obj.managed,
        obj.active,
        obj.created,
        owner_id=obj.owner_id or "",
        is_default=obj.is_default,
    )


def held_objects(live: LiveCatalog, ids: Callable[[], Identities]) -> tuple[Held, ...]:
    """Every object `live` holds, in its order (newest first, as Stripe lists); `ids` gives
    the identities (called only when an account-level object is made by hand)."""
    return (
        *(_product(p) for p in live.products),
        *(_price(p) for p in live.prices),
        *(_object(o, ids) for o in live.objects),
    )
