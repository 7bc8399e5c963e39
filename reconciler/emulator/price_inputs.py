"""Reading price create parameters: amounts, decimals, recurrence and tiers.

Stripe stores an amount twice (`unit_amount` and `unit_amount_decimal`) and
names nested parameters like `default_price_data[recurring][interval]` in its
errors; these helpers do both for prices and for `default_price_data`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from reconciler.emulator.errors import (
    above_maximum,
    below_minimum,
    invalid_value,
    missing_parameter,
)
from reconciler.emulator.forms import FREE, METADATA, SCALAR, Spec, as_int

Namer = Callable[[str], str]
INTERVALS = ("day", "week", "month", "year")
# docs (api/prices/create, recurring.interval_count): "Maximum of three years interval
# allowed (3 years, 36 months, or 156 weeks)". Days are not named there: 3 x 365.
MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}
TAX_BEHAVIORS = ("inclusive", "exclusive", "unspecified")
# docs (currencies#minimum-and-maximum-charge-amounts): "The amount value supports up to
# eight digits"; a decimal amount takes at most 12 decimal places (the pinned SDK's
# `unit_amount_decimal` docstrings: "at most 12 decimal places").
MAX_AMOUNT = 99_999_999
MAX_DECIMAL_PLACES = 12
# `default_price_data` of a product create: a price without product, tiers or lookup key.
DEFAULT_PRICE_DATA: Spec = {
    "currency": SCALAR,
    "unit_amount": SCALAR,
    "unit_amount_decimal": SCALAR,
    "recurring": {"interval": SCALAR, "interval_count": SCALAR},
    "tax_behavior": SCALAR,
    "metadata": METADATA,
    "currency_options": FREE,
    "custom_unit_amount": FREE,
}


def namer(prefix: str) -> Namer:
    """Parameter names for error messages: `field`, or `prefix[field]` when nested."""
    return (lambda field: f"{prefix}[{field}]") if prefix else (lambda field: field)


def decimal_text(value: Any, name: str) -> str:
    text = str(value)
    try:
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise InvalidOperation
        return format(Decimal(text).normalize(), "f")
    except InvalidOperation as exc:
        raise invalid_value(name, f"Invalid decimal: {value}", "parameter_invalid_decimal") from exc


def amounts(data: dict[str, Any], name: Namer, field: str) -> tuple[int | None, str | None]:
    """`unit_amount` and `unit_amount_decimal` the way Stripe stores both. Neither may be
    negative (api/prices/create: "A positive integer in cents ... (or 0 for a free price)"),
    for a price, a currency option or a tier alike."""
    if field in data:
        amount = as_int(data[field], name(field))
        if amount < 0:
            raise below_minimum(name(field), 0)
        if amount > MAX_AMOUNT:
            raise above_maximum(name(field), MAX_AMOUNT)
        return amount, str(amount)
    if f"{field}_decimal" in data:
        param = name(f"{field}_decimal")
        decimal = decimal_text(data[f"{field}_decimal"], param)
        whole = Decimal(decimal)
        if whole < 0:
            raise below_minimum(param, 0)
        if whole >= MAX_AMOUNT + 1:
            raise above_maximum(param, MAX_AMOUNT)
        if len(decimal.partition(".")[2]) > MAX_DECIMAL_PLACES:
            # The wording is ours: Stripe's answer is not documented.
            raise invalid_value(
                param,
                f"Invalid decimal: {decimal} has more than {MAX_DECIMAL_PLACES} decimal places",
                "parameter_invalid_decimal",
            )
        return (int(whole) if whole == whole.to_integral_value() else None), decimal
    return None, None


def recurring_from(data: Any, name: Namer) -> dict[str, Any]:
    interval = data.get("interval")
    param = name("recurring") + "[interval]"
    if not interval:
        raise missing_parameter(param)
    if interval not in INTERVALS:
        raise invalid_value(param, f"Invalid {param}: must be one of day, month, week, or year")
    count_param = name("recurring") + "[interval_count]"
    count = as_int(data.get("interval_count", 1), count_param)
    if not 1 <= count <= MAX_INTERVAL_COUNT[interval]:
        # The wording is ours: Stripe's answer is not documented.
        raise invalid_value(
            count_param,
            "Invalid interval_count: the maximum interval is three years (3 years, 36 months, "
            f"156 weeks or 1095 days); got {count} {interval}(s)",
        )
    return {
        "interval": interval,
        "interval_count": count,
        "meter": data.get("meter"),
        "trial_period_days": (
            as_int(data["trial_period_days"], "recurring[trial_period_days]")
            if "trial_period_days" in data
            else None
        ),
        "usage_type": data.get("usage_type", "licensed"),
    }


def tiers_from(params: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    tiers: list[dict[str, Any]] = []
    for index, tier in enumerate(params.get("tiers") or []):
        name = namer(f"{prefix}[tiers][{index}]" if prefix else f"tiers[{index}]")
        up_to = tier.get("up_to")
        if up_to is None:
            raise missing_parameter(name("up_to"))
        unit, unit_decimal = amounts(tier, name, "unit_amount")
        flat, flat_decimal = amounts(tier, name, "flat_amount")
        tiers.append(
            {
                "flat_amount": flat,
                "flat_amount_decimal": flat_decimal,
                "unit_amount": unit,
                "unit_amount_decimal": unit_decimal,
                "up_to": None if up_to == "inf" else as_int(up_to, name("up_to")),
            }
        )
    return tiers
