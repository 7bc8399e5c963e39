"""Writing account-level objects: meters, coupons, promotion codes, Entitlements features,
product features and the Billing Portal configuration, each write with an idempotency key, plan
keys resolved to the Stripe ids they name. Reading them is `read_objects.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import stripe

from reconciler.kinds import KINDS
from reconciler.metadata import PRODUCT_KEY_KEY
from reconciler.stripe_catalog.write import metadata_params, send

# A reference resolver: (kind, plan key) -> the Stripe id of that object.
Resolve = Callable[[str, str], str]


def _with_references(kind: str, params: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    """Plan keys in create parameters replaced by the Stripe ids they name."""
    if kind == "coupon" and "applies_to" in params:
        products = params["applies_to"]["products"]
        params["applies_to"] = {"products": [resolve("product", k) for k in products]}
    if kind == "promotion_code" and "promotion" in params:
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
    own_id: str | None = None,
) -> str:
    """Create one object from its state (terms plus metadata); returns its id. `own_id` is
    the id the plan chose for it (a coupon's `id`: `AccountObject.own_id`)."""
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
    if own_id is not None:
        params["id"] = own_id
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
    "retire_object",
    "update_object",
]
