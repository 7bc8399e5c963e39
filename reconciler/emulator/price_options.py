"""A price's optional parts: other currencies, customer-chosen amounts, quantity transforms.

Stripe stores `currency_options` on the price but only shows it when expanded
(`expand[]=currency_options`), so it lives in `Emulator.includable`; the other
fields are ordinary price fields. Each reader takes the create parameters and
returns the stored shape, raising Stripe's parameter errors on the way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import (
    StripeError,
    below_minimum,
    invalid_value,
    missing_parameter,
)
from reconciler.emulator.forms import SCALAR, as_bool, as_int, check_params
from reconciler.emulator.price_inputs import TAX_BEHAVIORS, Namer, amounts, namer, tiers_from

if TYPE_CHECKING:
    from reconciler.emulator.state import Emulator
    from reconciler.emulator.store import StripeObject

CUSTOM_UNIT_AMOUNT = {"enabled": SCALAR, "maximum": SCALAR, "minimum": SCALAR, "preset": SCALAR}
TIER = {
    "up_to": SCALAR,
    "unit_amount": SCALAR,
    "unit_amount_decimal": SCALAR,
    "flat_amount": SCALAR,
    "flat_amount_decimal": SCALAR,
}
CURRENCY_OPTION = {
    "custom_unit_amount": CUSTOM_UNIT_AMOUNT,
    "tax_behavior": SCALAR,
    "tiers": [TIER],
    "unit_amount": SCALAR,
    "unit_amount_decimal": SCALAR,
}
TRANSFORM_QUANTITY = {"divide_by": SCALAR, "round": SCALAR}
_ROUNDING = ("up", "down")


def custom_unit_amount_from(data: Any, name: Namer) -> dict[str, Any] | None:
    """`custom_unit_amount[enabled]=true` with optional bounds -> `{maximum, minimum, preset}`."""
    if data is None:
        return None
    param = name("custom_unit_amount")
    if not isinstance(data, dict) or "enabled" not in data:
        raise missing_parameter(f"{param}[enabled]")
    if not as_bool(data["enabled"], f"{param}[enabled]"):
        return None
    bounds = {
        key: as_int(data[key], f"{param}[{key}]") if key in data else None
        for key in ("maximum", "minimum", "preset")
    }
    for key, bound in bounds.items():
        if bound is not None and bound < 0:
            raise below_minimum(f"{param}[{key}]", 0)
    low, high, preset = bounds["minimum"], bounds["maximum"], bounds["preset"]
    if low is not None and high is not None and low > high:
        raise invalid_value(
            f"{param}[minimum]", "The minimum amount must be less than or equal to the maximum."
        )
    if preset is not None and (
        (low is not None and preset < low) or (high is not None and preset > high)
    ):
        raise invalid_value(
            f"{param}[preset]", "The preset amount must be between the minimum and maximum."
        )
    return {"maximum": high, "minimum": low, "preset": preset}


def transform_quantity_from(data: Any, tiered: bool) -> dict[str, Any] | None:
    if data is None:
        return None
    if not isinstance(data, dict) or "divide_by" not in data:
        raise missing_parameter("transform_quantity[divide_by]")
    if "round" not in data:
        raise missing_parameter("transform_quantity[round]")
    if tiered:
        raise invalid_value(
            "transform_quantity", "Transform quantity is not supported for tiered prices."
        )
    divide_by = as_int(data["divide_by"], "transform_quantity[divide_by]")
    if divide_by < 1:
        raise invalid_value(
            "transform_quantity[divide_by]", "transform_quantity[divide_by] must be at least 1."
        )
    if data["round"] not in _ROUNDING:
        raise invalid_value(
            "transform_quantity[round]",
            f"Invalid transform_quantity[round]: must be one of up or down (got {data['round']})",
        )
    return {"divide_by": divide_by, "round": data["round"]}


def _currency_option(data: Any, currency: str, tiered: bool) -> dict[str, Any]:
    name = namer(f"currency_options[{currency}]")
    if not isinstance(data, dict):
        raise invalid_value(f"currency_options[{currency}]", "Invalid object")
    check_params(data, CURRENCY_OPTION, f"currency_options[{currency}]")
    option: dict[str, Any] = {
        "custom_unit_amount": custom_unit_amount_from(data.get("custom_unit_amount"), name),
        "tax_behavior": data.get("tax_behavior", "unspecified"),
    }
    if option["tax_behavior"] not in TAX_BEHAVIORS:
        raise invalid_value(name("tax_behavior"), f"Invalid tax_behavior: {option['tax_behavior']}")
    if tiered:
        tiers = tiers_from(data, f"currency_options[{currency}]")
        if not tiers:
            raise missing_parameter(name("tiers"))
        option.update({"tiers": tiers, "unit_amount": None, "unit_amount_decimal": None})
        return option
    unit_amount, unit_decimal = amounts(data, name, "unit_amount")
    if unit_decimal is None and option["custom_unit_amount"] is None:
        raise missing_parameter(name("unit_amount"))
    option.update({"unit_amount": unit_amount, "unit_amount_decimal": unit_decimal})
    return option


def currency_options_from(
    data: Any, price: StripeObject, tiers: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The stored `currency_options`: the price's own currency first, then each one given."""
    tiered = price["billing_scheme"] == "tiered"
    own: dict[str, Any] = {
        "custom_unit_amount": price["custom_unit_amount"],
        "tax_behavior": price["tax_behavior"],
        "unit_amount": price["unit_amount"],
        "unit_amount_decimal": price["unit_amount_decimal"],
    }
    if tiered:
        own["tiers"] = tiers
    options = {price["currency"]: own}
    if data in (None, ""):
        return options
    if not isinstance(data, dict):
        raise invalid_value("currency_options", "Invalid object")
    for currency, option in data.items():
        code = currency.lower()
        if code != price["currency"]:
            options[code] = _currency_option(option, currency, tiered)
    return options


def update_currency_options(emulator: Emulator, price: StripeObject, data: Any) -> None:
    """`POST /v1/prices/:id` with `currency_options`: each currency given is set anew."""
    if not isinstance(data, dict):
        raise invalid_value("currency_options", "Invalid object")
    tiered = price["billing_scheme"] == "tiered"
    given: dict[str, dict[str, Any]] = {}
    for currency, option in data.items():
        code = currency.lower()
        if code == price["currency"]:
            raise StripeError(
                400,
                f"You cannot update the price's own currency ({code}) through currency_options.",
                param=f"currency_options[{currency}]",
            )
        given[code] = _currency_option(option, currency, tiered)
    emulator.includable["price.currency_options"].setdefault(price["id"], {}).update(given)
