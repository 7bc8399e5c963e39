"""Reading account-level objects: meters, coupons, promotion codes, Billing Portal
configurations, Entitlements features and the features attached to products, a list page of 100
at a time. Each object is normalized to the terms its kind declares (`reconciler.kinds`), with
the ids it references turned into plan keys, so the diff compares plan keys on both sides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import stripe

from reconciler.kinds import (
    COUPON,
    FEATURE,
    METER,
    PORTAL_CONFIGURATION,
    PROMOTION_CODE,
)
from reconciler.metadata import (
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    PRODUCT_KEY_KEY,
    attachment_marker,
)
from reconciler.model import Config
from reconciler.stripe_catalog.live import LiveObject, LivePrice, LiveProduct
from reconciler.stripe_catalog.paging import PageCall, Progress, list_all, no_progress
from reconciler.stripe_client import stripe_errors


def _managed(metadata: Mapping[str, str]) -> bool:
    return metadata.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE


def _meter(raw: Mapping[str, Any]) -> LiveObject:
    return LiveObject(
        kind="meter",
        id=raw["id"],
        key=raw["event_name"],
        terms=METER.from_stripe(raw),
        # A meter has no metadata for a marker: its declared event name makes it the tool's.
        managed=True,
        active=raw.get("status") == "active",
        created=int(raw.get("created") or 0),
    )


def _coupon(raw: Mapping[str, Any], product_keys: Mapping[str, str]) -> LiveObject:
    metadata = dict(raw.get("metadata") or {})
    terms = dict(COUPON.from_stripe(raw))
    if terms.get("applies_to"):
        terms["applies_to"] = [product_keys.get(p, p) for p in terms["applies_to"]]
    return LiveObject(
        kind="coupon",
        id=raw["id"],
        key=metadata.get(PRODUCT_KEY_KEY) or raw["id"],
        terms=terms,
        managed=_managed(metadata),
        active=bool(raw.get("valid")),
        created=int(raw.get("created") or 0),
        metadata=metadata,
    )


def _promotion_code(raw: Mapping[str, Any], coupon_keys: Mapping[str, str]) -> LiveObject:
    metadata = dict(raw.get("metadata") or {})
    terms = dict(PROMOTION_CODE.from_stripe(raw))
    terms["coupon"] = coupon_keys.get(terms["coupon"], terms["coupon"])
    return LiveObject(
        kind="promotion_code",
        id=raw["id"],
        key=raw["code"],
        terms=terms,
        managed=_managed(metadata),
        active=bool(raw.get("active")),
        created=int(raw.get("created") or 0),
        metadata=metadata,
    )


def _portal(
    raw: Mapping[str, Any], product_keys: Mapping[str, str], lookup_keys: Mapping[str, str]
) -> LiveObject:
    metadata = dict(raw.get("metadata") or {})
    terms = dict(PORTAL_CONFIGURATION.from_stripe(raw))
    features = dict(terms["features"])
    switching = dict(features["subscription_update"])
    if switching.get("products") is not None:
        switching["products"] = dict(
            sorted(
                (product_keys.get(product, product), sorted(lookup_keys.get(p, p) for p in prices))
                for product, prices in switching["products"].items()
            )
        )
    features["subscription_update"] = switching
    terms["features"] = features
    # The tool's configuration, or the account's default one (an adoption candidate).
    mine = _managed(metadata) or bool(raw.get("is_default"))
    return LiveObject(
        kind="portal_configuration",
        id=raw["id"],
        key=metadata.get(PRODUCT_KEY_KEY) or ("default" if mine else raw["id"]),
        terms=terms,
        managed=_managed(metadata),
        active=bool(raw.get("active")),
        created=int(raw.get("created") or 0),
        metadata=metadata,
        is_default=bool(raw.get("is_default")),
    )


def _feature(raw: Mapping[str, Any]) -> LiveObject:
    metadata = dict(raw.get("metadata") or {})
    return LiveObject(
        kind="feature",
        id=raw["id"],
        key=raw["lookup_key"],
        terms=FEATURE.from_stripe(raw),
        managed=_managed(metadata),
        active=bool(raw.get("active")),
        created=0,
        metadata=metadata,
    )


def _product_feature(raw: Mapping[str, Any], product: LiveProduct) -> LiveObject:
    feature = raw["entitlement_feature"]
    mine = _managed(dict(feature.get("metadata") or {}))
    return _attachment(raw["id"], product, feature["lookup_key"], mine)


def _attachment(
    attachment_id: str, product: LiveProduct, lookup_key: str, feature_managed: bool
) -> LiveObject:
    product_key = product.key or product.id
    return LiveObject(
        kind="product_feature",
        id=attachment_id,
        key=f"{product_key}/{lookup_key}",
        terms={"product": product_key, "entitlement_feature": lookup_key},
        # An attachment is the tool's when its product and its feature are.
        managed=product.managed and feature_managed,
        active=True,
        created=0,
        owner_id=product.id,
    )


def read_live_objects(
    client: stripe.StripeClient,
    products: Iterable[LiveProduct],
    prices: Iterable[LivePrice],
    config: Config,
    call: PageCall,
    recorded: Mapping[str, tuple[str, ...]] | None = None,
    *,
    every: bool = False,
    progress: Progress = no_progress,
) -> tuple[LiveObject, ...]:
    """Every meter, coupon, promotion code and active portal configuration (one list call per
    100 of each); with `stripe_entitlements`, the active Entitlements features and the
    features attached to each managed product and each product made by hand (no plan key).
    Stripe lists attachments only per product, so a product is read (one call) unless its
    `entitlement-features` marker records exactly what `recorded` (product key -> the lookup
    keys the plan attaches) expects; `recorded=None` reads every product. With `every`
    (import), inactive portal configurations, archived features and the attachments of every
    product, managed or not, are read too."""
    products = tuple(products)
    product_keys = {p.id: p.key for p in products if p.key}
    found: list[LiveObject] = []
    with stripe_errors("reading billing meters"):
        found += [_meter(m) for m in list_all(client.v1.billing.meters, {}, call)]
    with stripe_errors("reading coupons"):
        params = {"expand": COUPON.expand()}
        coupons = [_coupon(c, product_keys) for c in list_all(client.v1.coupons, params, call)]
    found += coupons
    coupon_keys = {c.id: c.key for c in coupons}
    with stripe_errors("reading promotion codes"):
        codes = list_all(client.v1.promotion_codes, {}, call)
        found += [_promotion_code(p, coupon_keys) for p in codes]
    lookup_keys = {p.id: p.price.lookup_key for p in prices if p.price.lookup_key}
    with stripe_errors("reading Billing Portal configurations"):
        wanted: dict[str, Any] = {"expand": PORTAL_CONFIGURATION.expand()}
        if not every:
            wanted["active"] = True
        portals = list_all(client.v1.billing_portal.configurations, wanted, call)
        found += [_portal(p, product_keys, lookup_keys) for p in portals]
    if config.stripe_entitlements:
        features: list[LiveObject] = []
        with stripe_errors("reading entitlement features"):
            # Unfiltered, the list holds active features; `every` asks for both states.
            filters: list[dict[str, Any]] = [{"archived": False}, {"archived": True}]
            for params in filters if every else [{}]:
                listed = list_all(client.v1.entitlements.features, params, call)
                features += [_feature(f) for f in listed]
        found += features
        active = {f.key: f for f in features if f.active}
        # A diff reads the products the tool manages and those it could adopt (made by hand:
        # no plan key), whose attachments an adoption must find rather than duplicate.
        chosen = [p for p in products if every or (p.active and (p.managed or p.key is None))]
        for done, product in enumerate(chosen, 1):
            if done % 100 == 0:
                progress(f"read the features of {done}/{len(chosen)} products")
            names = recorded_attachments(product, recorded, active)
            if names is not None:
                found += [_recorded_attachment(product, active[name]) for name in names]
                continue
            with stripe_errors(f"reading the features of product {product.id}"):
                lister = _ProductFeatures(client, product.id)
                found += [_product_feature(f, product) for f in list_all(lister, {}, call)]
    progress(f"read {len(found)} account-level objects")
    return tuple(found)


def recorded_attachments(
    product: LiveProduct,
    recorded: Mapping[str, tuple[str, ...]] | None,
    features: Mapping[str, LiveObject],
) -> tuple[str, ...] | None:
    """The lookup keys attached to `product` as its marker vouches for them, or None when the
    product must be read: no expectation for it, a marker that differs from the expected one
    (a change, an interrupted apply, a product made before markers), or an expected feature
    that is not active in Stripe."""
    if recorded is None or product.key is None or product.key not in recorded:
        return None
    names = recorded[product.key]
    expected = attachment_marker(names) if names else None
    if product.attached_marker != expected or any(name not in features for name in names):
        return None
    return names


def _recorded_attachment(product: LiveProduct, feature: LiveObject) -> LiveObject:
    """An attachment known from the product's marker, not read: its id is not Stripe's, which
    is harmless because a vouched-for attachment is always one the plan keeps unchanged."""
    attachment_id = f"recorded:{product.id}:{feature.id}"
    return _attachment(attachment_id, product, feature.key, feature.managed)


class _ProductFeatures:
    """`client.v1.products.features` for one product, shaped like a plain list service."""

    def __init__(self, client: stripe.StripeClient, product_id: str) -> None:
        self.client = client
        self.product_id = product_id

    def list(self, params: Any) -> Any:
        return self.client.v1.products.features.list(self.product_id, params=params)


__all__ = ["read_live_objects", "recorded_attachments"]
