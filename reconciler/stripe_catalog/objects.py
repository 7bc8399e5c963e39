"""Account-level objects at the Stripe boundary: meters, coupons, promotion codes, Entitlements
features and product features, read a list page of 100 at a time and written with idempotency
keys. Each object is normalized to the terms its kind declares (`reconciler.kinds`), with the
ids it references turned into plan keys, so the diff compares plan keys on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import stripe

from reconciler.kinds import (
    COUPON,
    FEATURE,
    KINDS,
    METER,
    PORTAL_CONFIGURATION,
    PROMOTION_CODE,
)
from reconciler.metadata import MANAGED_BY_KEY, MANAGED_BY_VALUE, PRODUCT_KEY_KEY
from reconciler.model import Config
from reconciler.stripe_catalog.live import LiveObject, LivePrice, LiveProduct
from reconciler.stripe_catalog.read import PageCall, list_all
from reconciler.stripe_catalog.write import metadata_params, send
from reconciler.stripe_client import stripe_errors

# A reference resolver: (kind, plan key) -> the Stripe id of that object.
Resolve = Callable[[str, str], str]


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
        key="default" if mine else raw["id"],
        terms=terms,
        managed=_managed(metadata),
        active=bool(raw.get("active")),
        created=int(raw.get("created") or 0),
        metadata=metadata,
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
    product_key = product.key or product.id
    terms = {"product": product_key, "entitlement_feature": feature["lookup_key"]}
    return LiveObject(
        kind="product_feature",
        id=raw["id"],
        key=f"{product_key}/{feature['lookup_key']}",
        terms=terms,
        # An attachment is the tool's when its product and its feature are.
        managed=product.managed and _managed(dict(feature.get("metadata") or {})),
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
) -> tuple[LiveObject, ...]:
    """Every meter, coupon and promotion code (one list call per 100 of each); with
    `stripe_entitlements`, the active Entitlements features and, for each managed product,
    the features attached to it (one call per product: Stripe lists them per product)."""
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
        wanted: dict[str, Any] = {"active": True, "expand": PORTAL_CONFIGURATION.expand()}
        portals = list_all(client.v1.billing_portal.configurations, wanted, call)
        found += [_portal(p, product_keys, lookup_keys) for p in portals]
    if config.stripe_entitlements:
        with stripe_errors("reading entitlement features"):
            found += [_feature(f) for f in list_all(client.v1.entitlements.features, {}, call)]
        for product in products:
            if not (product.managed and product.active):
                continue
            with stripe_errors(f"reading the features of product {product.id}"):
                lister = _ProductFeatures(client, product.id)
                found += [_product_feature(f, product) for f in list_all(lister, {}, call)]
    return tuple(found)


class _ProductFeatures:
    """`client.v1.products.features` for one product, shaped like a plain list service."""

    def __init__(self, client: stripe.StripeClient, product_id: str) -> None:
        self.client = client
        self.product_id = product_id

    def list(self, params: Any) -> Any:
        return self.client.v1.products.features.list(self.product_id, params=params)


def _with_references(kind: str, params: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    """Plan keys in create parameters replaced by the Stripe ids they name."""
    if kind == "coupon" and "applies_to" in params:
        products = params["applies_to"]["products"]
        params["applies_to"] = {"products": [resolve("product", k) for k in products]}
    if kind == "promotion_code":
        coupon = resolve("coupon", params["promotion"]["coupon"])
        params["promotion"] = {**params["promotion"], "coupon": coupon}
    switching = params.get("features", {}).get("subscription_update", {})
    if kind == "portal_configuration" and "products" in switching:
        switching["products"] = [
            {
                "product": resolve("product", entry["product"]),
                "prices": [resolve("price", p) for p in entry["prices"]],
            }
            for entry in switching["products"]
        ]
    return params


def create_object(
    client: stripe.StripeClient,
    kind: str,
    state: Mapping[str, Any],
    resolve: Resolve,
    key: str,
) -> str:
    """Create one object from its state (terms plus metadata); returns its id."""
    terms = {k: v for k, v in state.items() if k != "metadata"}
    if kind == "product_feature":
        params: Any = {"entitlement_feature": resolve("feature", terms["entitlement_feature"])}
        product_id = resolve("product", terms["product"])
        action = f"attaching feature {terms['entitlement_feature']} to {terms['product']}"
        service = client.v1.products.features
        return str(send(action, service.create, product_id, params=params, key=key).id)
    params = _with_references(kind, KINDS[kind].create_params(terms), resolve)
    if "metadata" in state:
        params["metadata"] = dict(state["metadata"])
    action = f"creating {kind.replace('_', ' ')} {_shown(kind, state)}"
    return str(send(action, _service(client, kind).create, params=params, key=key).id)


def update_object(
    client: stripe.StripeClient,
    kind: str,
    object_id: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    resolve: Resolve,
    key: str,
) -> None:
    """Push the fields Stripe changes in place, and metadata."""
    params: Any = _with_references(kind, KINDS[kind].update_params(before, after), resolve)
    if before.get("metadata") != after.get("metadata") and "metadata" in after:
        params["metadata"] = metadata_params(before.get("metadata"), after["metadata"])
    if not params:
        return
    action = f"updating {kind.replace('_', ' ')} {object_id}"
    send(action, _service(client, kind).update, object_id, params=params, key=key)


def retire_object(
    client: stripe.StripeClient, kind: str, object_id: str, owner: str, key: str
) -> None:
    """Take an object out of use without deleting it: deactivate a meter, set a promotion
    code or feature inactive, detach a feature from its product (`owner`: the product id)."""
    action = f"retiring {kind.replace('_', ' ')} {object_id}"
    if kind == "meter":
        meters = client.v1.billing.meters
        send(action, meters.deactivate, object_id, params={}, key=key)
    elif kind == "product_feature":
        send(action, client.v1.products.features.delete, owner, object_id, params={}, key=key)
    else:
        params: Any = {"active": False}
        send(action, _service(client, kind).update, object_id, params=params, key=key)


def _service(client: stripe.StripeClient, kind: str) -> Any:
    services = {
        "meter": client.v1.billing.meters,
        "coupon": client.v1.coupons,
        "promotion_code": client.v1.promotion_codes,
        "feature": client.v1.entitlements.features,
        "portal_configuration": client.v1.billing_portal.configurations,
    }
    return services[kind]


def _shown(kind: str, state: Mapping[str, Any]) -> str:
    if kind == "coupon":
        return str((state.get("metadata") or {}).get(PRODUCT_KEY_KEY, ""))
    return str(state.get({"meter": "event_name", "promotion_code": "code"}.get(kind, "lookup_key")))


__all__ = [
    "Resolve",
    "create_object",
    "read_live_objects",
    "retire_object",
    "update_object",
]
