"""Entitlements: features, the features attached to products, and active entitlements.

A feature attached to a product (`POST /v1/products/:id/features`) entitles
every customer with a live subscription to that product; active entitlements
are computed from the customer's subscriptions whenever they are listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.entitlement_summary import active_entitlements, refresh_subscribers
from reconciler.emulator.errors import StripeError, invalid_value, missing, missing_parameter
from reconciler.emulator.forms import METADATA, SCALAR, STRINGS, as_bool, merge_metadata
from reconciler.emulator.listing import (
    EXPAND_ONLY,
    LIST_PARAMS,
    computed_list_answer,
    list_answer,
    retriever,
)
from reconciler.emulator.store import StripeObject, new_id

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

_FEATURE_CREATE: dict[str, Any] = {
    "expand": STRINGS,
    "lookup_key": SCALAR,
    "metadata": METADATA,
    "name": SCALAR,
}
_FEATURE_UPDATE: dict[str, Any] = {
    "active": SCALAR,
    "expand": STRINGS,
    "metadata": METADATA,
    "name": SCALAR,
}
_FEATURE_LIST: dict[str, Any] = {**LIST_PARAMS, "archived": SCALAR, "lookup_key": SCALAR}
_ATTACH: dict[str, Any] = {"entitlement_feature": SCALAR, "expand": STRINGS}
_ACTIVE_LIST: dict[str, Any] = {**LIST_PARAMS, "customer": SCALAR}
MAX_LENGTH = 80


def _short_text(params: dict[str, Any], name: str) -> str:
    text = str(params.get(name) or "")
    if not text:
        raise missing_parameter(name)
    if len(text) > MAX_LENGTH:
        raise invalid_value(name, f"Invalid {name}: must be at most {MAX_LENGTH} characters")
    return text


def create_feature(emulator: Emulator, call: Call) -> Any:
    params = call.params
    lookup_key = _short_text(params, "lookup_key")
    name = _short_text(params, "name")
    if any(f["lookup_key"] == lookup_key and f["active"] for f in emulator.features.values()):
        raise StripeError(
            400,
            f"A feature with lookup_key `{lookup_key}` already exists.",
            code="resource_already_exists",
            param="lookup_key",
        )
    feature: StripeObject = {
        "id": new_id("feat_test_"),
        "object": "entitlements.feature",
        "active": True,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "name": name,
    }
    return emulator.features.add(feature)


def update_feature(emulator: Emulator, call: Call) -> Any:
    params = call.params
    feature = emulator.require("features", call.args[0])
    name = _short_text(params, "name") if "name" in params else feature["name"]
    active = as_bool(params["active"], "active") if "active" in params else feature["active"]
    metadata = merge_metadata(feature["metadata"], params.get("metadata", {}))
    feature.update({"name": name, "active": active, "metadata": metadata})
    return feature


def list_features(emulator: Emulator, call: Call) -> Any:
    params = call.params
    archived = as_bool(params["archived"], "archived") if "archived" in params else False
    lookup_key = params.get("lookup_key")

    def matches(feature: StripeObject) -> bool:
        if feature["active"] == archived:
            return False
        return lookup_key is None or feature["lookup_key"] == lookup_key

    return list_answer(emulator.features, params, "/v1/entitlements/features", "feature", matches)


def attach_feature(emulator: Emulator, call: Call) -> Any:
    params = call.params
    product = emulator.require("products", call.args[0])
    if not params.get("entitlement_feature"):
        raise missing_parameter("entitlement_feature")
    feature = emulator.require("features", params["entitlement_feature"], "entitlement_feature")
    if not feature["active"]:
        raise invalid_value(
            "entitlement_feature", "Inactive features cannot be attached to new products."
        )
    if any(
        attached["entitlement_feature"] is feature
        for attached in _attached(emulator, product["id"])
    ):
        raise StripeError(
            400,
            f"The feature `{feature['id']}` is already attached to product `{product['id']}`.",
            param="entitlement_feature",
        )
    attached: StripeObject = {
        "id": new_id("prodft_", 14),
        "object": "product_feature",
        # The feature itself, by reference: later changes to it show through.
        "entitlement_feature": feature,
        "livemode": False,
    }
    emulator.product_features.add(attached)
    emulator.product_feature_owner[attached["id"]] = product["id"]
    _announce(emulator, product["id"], call)
    return attached


def _announce(emulator: Emulator, product_id: str, call: Call) -> None:
    refresh_subscribers(emulator, product_id, call)


def _attached(emulator: Emulator, product_id: str) -> list[StripeObject]:
    return [
        attached
        for attached in emulator.product_features.values()
        if emulator.product_feature_owner.get(attached["id"]) == product_id
    ]


def _product_feature(emulator: Emulator, call: Call) -> StripeObject:
    product = emulator.require("products", call.args[0])
    attached = emulator.product_features.get(call.args[1])
    if attached is None or emulator.product_feature_owner.get(attached["id"]) != product["id"]:
        raise missing("product_feature", call.args[1])
    return attached


def retrieve_product_feature(emulator: Emulator, call: Call) -> Any:
    return _product_feature(emulator, call)


def detach_feature(emulator: Emulator, call: Call) -> Any:
    attached = _product_feature(emulator, call)
    emulator.product_features.remove(attached["id"])
    product_id = emulator.product_feature_owner.pop(attached["id"])
    _announce(emulator, product_id, call)
    return {"id": attached["id"], "object": "product_feature", "deleted": True}


def list_product_features(emulator: Emulator, call: Call) -> Any:
    product = emulator.require("products", call.args[0])
    owner = emulator.product_feature_owner
    return list_answer(
        emulator.product_features,
        call.params,
        f"/v1/products/{product['id']}/features",
        "product_feature",
        lambda attached: owner.get(attached["id"]) == product["id"],
    )


def list_active_entitlements(emulator: Emulator, call: Call) -> Any:
    params = call.params
    if not params.get("customer"):
        raise missing_parameter("customer")
    customer = emulator.require("customers", params["customer"], "customer")
    found = active_entitlements(emulator, customer["id"])
    url = "/v1/entitlements/active_entitlements"
    return computed_list_answer(found, params, url, "entitlements.active_entitlement")


def retrieve_active_entitlement(emulator: Emulator, call: Call) -> Any:
    for customer_id in {sub["customer"] for sub in emulator.subscriptions.values()}:
        for entitlement in active_entitlements(emulator, customer_id):
            if entitlement["id"] == call.args[0]:
                return entitlement
    raise missing("entitlements.active_entitlement", call.args[0])


def register(router: Router) -> None:
    add = router.add
    features = "/v1/entitlements/features"
    add(
        "POST",
        features,
        create_feature,
        params=_FEATURE_CREATE,
        sdk="entitlements.FeatureCreateParams",
    )
    add("GET", features, list_features, params=_FEATURE_LIST, sdk="entitlements.FeatureListParams")
    add(
        "GET",
        f"{features}/:id",
        retriever("features"),
        params=EXPAND_ONLY,
        sdk="entitlements.FeatureRetrieveParams",
    )
    add(
        "POST",
        f"{features}/:id",
        update_feature,
        params=_FEATURE_UPDATE,
        sdk="entitlements.FeatureUpdateParams",
    )
    active = "/v1/entitlements/active_entitlements"
    add(
        "GET",
        active,
        list_active_entitlements,
        params=_ACTIVE_LIST,
        sdk="entitlements.ActiveEntitlementListParams",
    )
    add(
        "GET",
        f"{active}/:id",
        retrieve_active_entitlement,
        params=EXPAND_ONLY,
        sdk="entitlements.ActiveEntitlementRetrieveParams",
    )
    attached = "/v1/products/:id/features"
    add("POST", attached, attach_feature, params=_ATTACH, sdk="ProductFeatureCreateParams")
    add("GET", attached, list_product_features, params=LIST_PARAMS, sdk="ProductFeatureListParams")
    add(
        "GET",
        f"{attached}/:feature",
        retrieve_product_feature,
        params=EXPAND_ONLY,
        sdk="ProductFeatureRetrieveParams",
    )
    add(
        "DELETE",
        f"{attached}/:feature",
        detach_feature,
        params={},
        sdk="ProductFeatureDeleteParams",
    )
