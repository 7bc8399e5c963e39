"""Products: create, retrieve, update, list, delete and search, as Stripe has them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import StripeError
from reconciler.emulator.events import emit
from reconciler.emulator.forms import (
    FREE,
    METADATA,
    SCALAR,
    STRINGS,
    as_bool,
    as_str_list,
    not_modelled,
)
from reconciler.emulator.listing import (
    EXPAND_ONLY,
    LIST_PARAMS,
    SEARCH_PARAMS,
    list_answer,
    retriever,
    search_answer,
)
from reconciler.emulator.price_inputs import DEFAULT_PRICE_DATA
from reconciler.emulator.prices import create_price_for
from reconciler.emulator.products import PLAIN_FIELDS, apply_fields, build_product
from reconciler.emulator.store import StripeObject, rollback

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

_UPDATE: dict[str, Any] = {
    "name": SCALAR,
    "active": SCALAR,
    "metadata": METADATA,
    "default_price": SCALAR,
    "shippable": SCALAR,
    "expand": STRINGS,
    "statement_descriptor": SCALAR,
    # A hash, or "" to clear it: checked by `_dimensions`.
    "package_dimensions": FREE,
    **{name: FREE for name in PLAIN_FIELDS},
    **not_modelled("tax_details"),
}
_CREATE: dict[str, Any] = {
    **{name: rule for name, rule in _UPDATE.items() if name != "default_price"},
    "id": SCALAR,
    "default_price_data": DEFAULT_PRICE_DATA,
    "type": SCALAR,
}
_LIST: dict[str, Any] = {
    **LIST_PARAMS,
    "active": SCALAR,
    "ids": STRINGS,
    "created": FREE,
    "shippable": SCALAR,
    "url": SCALAR,
    **not_modelled("type"),
}
SEARCH_FIELDS = {
    "active": lambda obj: obj["active"],
    "name": lambda obj: obj["name"],
    "description": lambda obj: obj["description"],
    "url": lambda obj: obj["url"],
    "shippable": lambda obj: obj["shippable"],
    "created": lambda obj: obj["created"],
}


def create_product(emulator: Emulator, call: Call) -> Any:
    params = call.params
    product = build_product(emulator, params)
    product_id = product["id"]
    emulator.products.add(product)
    price = None
    if "default_price_data" in params:
        price = create_price_for(
            emulator, product_id, params["default_price_data"], "default_price_data", call
        )
        product["default_price"] = price["id"]
    emit(emulator, "product.created", product, call)
    if price is not None:
        emit(emulator, "price.created", price, call)
    return product


def update_product(emulator: Emulator, call: Call) -> Any:
    params = call.params
    product = emulator.require("products", call.args[0])
    before = dict(product)
    with rollback(product):
        if "default_price" in params:
            product["default_price"] = _default_price(emulator, product, params["default_price"])
        apply_fields(emulator, product, params)
    if product != before:
        product["updated"] = emulator.clock.now()
        emit(emulator, "product.updated", product, call, before)
    return product


def _default_price(emulator: Emulator, product: StripeObject, price_id: Any) -> str | None:
    if price_id == "":
        return None
    price = emulator.require("prices", price_id, "default_price")
    if price["product"] != product["id"]:
        raise StripeError(
            400,
            f"The price `{price_id}` is for product `{price['product']}`, not `{product['id']}`."
            " A product's default price must be one of its own prices.",
            param="default_price",
        )
    if not price["active"]:
        raise StripeError(
            400, "The default price of a product must be active.", param="default_price"
        )
    return str(price_id)


def list_products(emulator: Emulator, call: Call) -> Any:
    params = call.params
    active = as_bool(params["active"], "active") if "active" in params else None
    ids = set(as_str_list(params.get("ids"), "ids"))

    def matches(product: StripeObject) -> bool:
        if active is not None and product["active"] != active:
            return False
        return not ids or product["id"] in ids

    return list_answer(emulator.products, params, "/v1/products", "product", matches)


def delete_product(emulator: Emulator, call: Call) -> Any:
    product = emulator.require("products", call.args[0])
    if any(price["product"] == product["id"] for price in emulator.prices.values()):
        raise StripeError(
            400, "This product cannot be deleted because it has one or more user-created prices."
        )
    emulator.products.remove(product["id"])
    emit(emulator, "product.deleted", product, call)
    return {"id": product["id"], "object": "product", "deleted": True}


def search_products(emulator: Emulator, call: Call) -> Any:
    return search_answer(emulator.products, call.params, "/v1/products/search", SEARCH_FIELDS)


def register(router: Router) -> None:
    router.add("POST", "/v1/products", create_product, params=_CREATE, sdk="ProductCreateParams")
    router.add("GET", "/v1/products", list_products, params=_LIST, sdk="ProductListParams")
    router.add(
        "GET",
        "/v1/products/search",
        search_products,
        params=SEARCH_PARAMS,
        sdk="ProductSearchParams",
    )
    router.add(
        "GET",
        "/v1/products/:id",
        retriever("products"),
        params=EXPAND_ONLY,
        sdk="ProductRetrieveParams",
    )
    router.add(
        "POST", "/v1/products/:id", update_product, params=_UPDATE, sdk="ProductUpdateParams"
    )
    router.add("DELETE", "/v1/products/:id", delete_product, params={}, sdk="ProductDeleteParams")
