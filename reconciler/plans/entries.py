"""The plan files' catalog as the reconcile engine sees it: one `Wanted` per declared object of
every kind, with the state the plan pushes.

A state holds exactly what the tool pushes to Stripe: for a product its fields, its metadata
(`metadata.product_metadata`) and its default price (by lookup key); for a price its product
(by key), its terms and the metadata strings `metadata.price_metadata` produces; for every
other kind its terms and, where the kind carries metadata, the ownership marker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.kinds import KINDS
from reconciler.kinds.coupon import chosen_id
from reconciler.kinds.entries import Wanted
from reconciler.kinds.field import dig
from reconciler.metadata import (
    CHOSEN_ID_KEY,
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    PRODUCT_KEY_KEY,
    price_metadata,
    product_metadata,
)
from reconciler.model import AccountObject, Catalog, Config, Price, Product


def desired_price_state(price: Price, product_key: str, config: Config) -> dict[str, Any]:
    """What the plan pushes for one price."""
    metadata = dict(sorted(price_metadata(price, config).items()))
    return {"product": product_key, **price.terms, "metadata": metadata}


def desired_product_state(product: Product) -> dict[str, Any]:
    return {
        **product.terms,
        "metadata": dict(sorted(product_metadata(product).items())),
        "default_price": product.default_price,
    }


def desired_state(obj: AccountObject) -> dict[str, Any]:
    """What the plan pushes for one account-level object: its terms, and metadata with the
    ownership marker where the kind carries metadata, its plan key where the kind is keyed
    there (`Rules.keyed_by_metadata`), and the id the files choose for it where
    it has the shape of Stripe's own (`chosen-id`)."""
    state = dict(obj.terms)
    rules = KINDS[obj.kind].rules
    if rules.metadata:
        metadata = {**obj.metadata, MANAGED_BY_KEY: MANAGED_BY_VALUE}
        if rules.keyed_by_metadata and obj.key != rules.default_key:
            metadata[PRODUCT_KEY_KEY] = obj.key
        if obj.own_id is not None and not chosen_id(obj.own_id):
            # An id of Stripe's shape (`SUMMER24`): recorded, so `import` keeps writing it.
            metadata[CHOSEN_ID_KEY] = obj.own_id
        state["metadata"] = dict(sorted(metadata.items()))
    return state


def _followed(kind: str, state: Mapping[str, Any]) -> str | None:
    path = KINDS[kind].rules.follows_path
    value = dig(state, path) if path else None
    return str(value) if value else None


def wanted_objects(catalog: Catalog, config: Config) -> tuple[Wanted, ...]:
    """Every object the catalog declares: each product, then its prices, then the
    account-level objects, in the catalog's order."""
    found: list[Wanted] = []
    for product in catalog.products:
        found.append(
            Wanted(
                "product",
                product.key,
                desired_product_state(product),
                name=product.name,
                active=product.active,
            )
        )
        for price in product.prices:
            state = desired_price_state(price, product.key, config)
            found.append(
                Wanted(
                    "price",
                    price.lookup_key,
                    state,
                    parent=product.key,
                    active=price.active,
                    follows=_followed("price", state),
                    carries={"proration_behavior": product.proration_behavior},
                )
            )
    for obj in catalog.objects:
        state = desired_state(obj)
        found.append(
            Wanted(
                obj.kind,
                obj.key,
                state,
                follows=_followed(obj.kind, state),
                chosen_id=obj.own_id,
            )
        )
    return tuple(found)


def attachments_recorded(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """Product key -> the Entitlements features the plan attaches to it, as apply records them
    on the product (with `stripe_entitlements`; empty without): reading spares the products
    whose record says the same."""
    return {
        p.key: p.entitlement_features
        for p in catalog.products
        if p.entitlement_features is not None
    }
