"""The product object: its fields, and building or changing one from parameters.

`product_routes` answers the product endpoints with these; a price's `product_data`
builds its product here too, so prices stand above this module and below the routes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import (
    StripeError,
    invalid_value,
    missing_parameter,
    unknown_parameter,
)
from reconciler.emulator.forms import as_bool, merge_metadata
from reconciler.emulator.price_inputs import namer
from reconciler.emulator.store import StripeObject, new_id

if TYPE_CHECKING:
    from reconciler.emulator.state import Emulator

# Fields a caller may set and Stripe stores as given.
PLAIN_FIELDS = (
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
    apply_fields(emulator, product, params, prefix)
    return product


def apply_fields(
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
    for field in PLAIN_FIELDS:
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


def seed_products(emulator: Emulator, count: int) -> int:
    """Bulk-create plain products for benchmarks; like a data import, no events."""
    for index in range(count):
        product = new_product(emulator, new_id("prod_", 14), f"Seeded product {index}")
        product["metadata"] = {"seed": str(index)}
        emulator.products.add(product)
    return count
