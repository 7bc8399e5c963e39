"""Products: create, retrieve, update, list, delete and search, as Stripe has them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import (
    StripeError,
    invalid_value,
    missing_parameter,
    unknown_parameter,
)
from reconciler.emulator.events import emit
from reconciler.emulator.forms import (
    FREE,
    METADATA,
    SCALAR,
    STRINGS,
    as_bool,
    as_str_list,
    merge_metadata,
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
from reconciler.emulator.price_inputs import DEFAULT_PRICE_DATA, namer
from reconciler.emulator.store import StripeObject, new_id, rollback

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

# Fields a caller may set and Stripe stores as given.
_PLAIN_FIELDS = (
    "description",
    "images",
    "marketing_features",
    "tax_code",
    "unit_label",
    "url",
)
# `package_dimensions`: inches and ounces, "maximum precision is 2 decimal places".
_DIMENSIONS = ("height", "length", "weight", "width")
STATEMENT_DESCRIPTOR_MAX = 22
_DESCRIPTOR_REFUSED = "<>\\\"'"
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
    **{name: FREE for name in _PLAIN_FIELDS},
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


def new_product(emulator: Emulator, product_id: str, name: str) -> StripeObject:
    now = emulator.clock.now()
    return {
        "id": product_id,
        "object": "product",
        "active": True,
        "created": now,
        "default_price": None,
        "description": None,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": {},
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        # Always answered by the pinned version (api/products/object); the emulator
        # refuses the `tax_details` parameter as not modelled, so it stays null.
        "tax_details": None,
        "type": "service",
        "unit_label": None,
        "updated": now,
        "url": None,
    }


def build_product(emulator: Emulator, params: dict[str, Any], prefix: str = "") -> StripeObject:
    """A new product from create parameters, not yet stored: `POST /v1/products`, and a
    price's `product_data` (`prefix="product_data"`), which takes a subset of them."""
    name = namer(prefix)
    if not params.get("name"):
        raise missing_parameter(name("name"))
    product_id = str(params.get("id") or new_id("prod_", 14))
    if product_id in emulator.products:
        raise StripeError(
            400, "Product already exists.", code="resource_already_exists", param=name("id")
        )
    product = new_product(emulator, product_id, str(params["name"]))
    _apply(emulator, product, params, prefix)
    return product


def _apply(
    emulator: Emulator, product: StripeObject, params: dict[str, Any], prefix: str = ""
) -> None:
    """Copy settable fields from `params` onto `product` (create and update share it)."""
    name = namer(prefix)
    if "name" in params:
        if not params["name"]:
            raise StripeError(400, "You must supply a non-empty name.", param=name("name"))
        product["name"] = params["name"]
    if "active" in params:
        product["active"] = as_bool(params["active"], name("active"))
    if "shippable" in params:
        product["shippable"] = as_bool(params["shippable"], name("shippable"))
    if "metadata" in params:
        product["metadata"] = merge_metadata(product["metadata"], params["metadata"])
    if "statement_descriptor" in params:
        product["statement_descriptor"] = _descriptor(
            params["statement_descriptor"], name("statement_descriptor")
        )
    if "package_dimensions" in params:
        product["package_dimensions"] = _dimensions(
            params["package_dimensions"], name("package_dimensions")
        )
    for field in _PLAIN_FIELDS:
        if field in params:
            product[field] = params[field] if params[field] != "" else None


def _descriptor(value: str, param: str) -> str | None:
    """At most 22 characters, none of `<`, `>`, `\\`, `"`, `'`, at least one letter (the
    rules are Stripe's, the wording ours)."""
    if value == "":
        return None
    if len(value) > STATEMENT_DESCRIPTOR_MAX:
        raise invalid_value(
            param, f"Invalid {param}: must be at most {STATEMENT_DESCRIPTOR_MAX} characters"
        )
    if any(char in _DESCRIPTOR_REFUSED for char in value):
        raise invalid_value(
            param, f"Invalid {param}: must not contain any of these characters: < > \\ \" '"
        )
    if not any(char.isalpha() for char in value):
        raise invalid_value(param, f"Invalid {param}: must contain at least one letter")
    return value


def _dimensions(value: Any, param: str) -> dict[str, float] | None:
    """`package_dimensions`: all four numbers, kept as floats; "" clears them."""
    if value == "":
        return None
    if not isinstance(value, dict):
        raise invalid_value(param, "Invalid object", "parameter_invalid_object")
    for key in value:
        if key not in _DIMENSIONS:
            raise unknown_parameter(f"{param}[{key}]")
    dimensions: dict[str, float] = {}
    for key in _DIMENSIONS:
        field = f"{param}[{key}]"
        if value.get(key) in (None, ""):
            raise missing_parameter(field)
        text = str(value[key])
        if not re.fullmatch(r"\d+(\.\d{1,2})?", text):
            raise invalid_value(
                field,
                f"Invalid {field}: must be a non-negative number with at most 2 decimal places",
            )
        dimensions[key] = float(text)
    return dimensions


def create_product(emulator: Emulator, call: Call) -> Any:
    from reconciler.emulator.prices import create_price_for

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
        _apply(emulator, product, params)
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


def seed_products(emulator: Emulator, count: int) -> int:
    """Bulk-create plain products for benchmarks; like a data import, no events."""
    for index in range(count):
        product = new_product(emulator, new_id("prod_", 14), f"Seeded product {index}")
        product["metadata"] = {"seed": str(index)}
        emulator.products.add(product)
    return count


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
