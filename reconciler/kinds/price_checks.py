"""The limits a plan-file price breaks beyond its JSON Schema, each located in the price: the
checks `reconciler.kinds.price` declares with its fields (split off so each module keeps one
job: the declaration there, the rules it checks here)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from reconciler.currencies import ISO_4217, amount_problem
from reconciler.kinds.field import RelPath, too_long

MAX_LOOKUP_KEY_LENGTH = 200
# "Maximum of three years interval allowed (3 years, 36 months, or 156 weeks)" (the pinned
# SDK's PriceCreateParams, from Stripe's API reference); days are not named there: 3 x 365.
MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}
Problems = Iterator[tuple[RelPath, str]]


def lookup_key_length(value: Any) -> Problems:
    if isinstance(value, str) and len(value) > MAX_LOOKUP_KEY_LENGTH:
        yield (), too_long("lookup_key", len(value), MAX_LOOKUP_KEY_LENGTH)


def known_currency(value: Any) -> Problems:
    if isinstance(value, str) and len(value) == 3 and value.islower() and value not in ISO_4217:
        yield (), f"unknown currency {value!r} (not an ISO 4217 code)"


def amount_limits(value: Any) -> Problems:
    """Stripe's limits on an amount in minor units (the schema has checked its form)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return
    problem = amount_problem(amount)
    # A negative amount, integer or decimal text, is the schema's to report (once).
    if problem and amount >= 0:
        yield (), problem


def interval_count_limit(value: Any) -> Problems:
    if not isinstance(value, dict):
        return
    interval, count = value.get("interval"), value.get("interval_count", 1)
    top = MAX_INTERVAL_COUNT.get(interval) if isinstance(interval, str) else None
    if top is not None and isinstance(count, int) and count > top:
        yield (
            ("interval_count",),
            f"Stripe bills at least once every three years: at most {top} for interval {interval}",
        )


def tier_order(tiers: Any) -> Problems:
    if not isinstance(tiers, list):
        return
    previous = 0
    for i, tier in enumerate(tiers):
        if not isinstance(tier, dict):
            continue
        up_to = tier.get("up_to")
        last = i == len(tiers) - 1
        if last and up_to != "inf":
            yield (i, "up_to"), "the last tier must have up_to: inf"
        elif not last and up_to == "inf":
            yield (i, "up_to"), "only the last tier may have up_to: inf"
        elif isinstance(up_to, int) and not isinstance(up_to, bool):
            if up_to <= previous:
                yield (i, "up_to"), f"up_to must be greater than the previous tier's ({previous})"
            previous = up_to
        if "unit_amount" not in tier and "flat_amount" not in tier:
            yield (i,), "a tier needs unit_amount, flat_amount or both"


def amount_or_tiers(price: Mapping[str, Any]) -> Problems:
    has_amount, has_tiers = "amount" in price, "tiers" in price
    custom = "custom_unit_amount" in price
    if has_amount and has_tiers:
        yield (), "a price takes either amount or tiers, not both"
    elif custom and (has_amount or has_tiers):
        yield ("custom_unit_amount",), "custom_unit_amount replaces amount and tiers: give one"
    elif not has_amount and not has_tiers and not custom:
        yield (), "a price needs amount (or tiers for a tiered price)"
    if "transform_quantity" in price and has_tiers:
        yield ("transform_quantity",), "transform_quantity cannot be combined with tiers"
    if "tiers_mode" in price and not has_tiers:
        yield ("tiers_mode",), "tiers_mode is only for tiered prices (add tiers)"
    if isinstance(price.get("tiers"), list) and "tiers_mode" not in price:
        yield ("tiers",), "tiered prices need tiers_mode (graduated or volume)"


def trial_needs_recurring(price: Mapping[str, Any]) -> Problems:
    if not isinstance(price.get("recurring"), dict) and "trial_days" in price:
        yield ("trial_days",), "trial_days needs a recurring price"


def default_is_active(price: Mapping[str, Any]) -> Problems:
    if price.get("default") is True and price.get("active") is False:
        yield ("active",), "the default price cannot be inactive"


def custom_range(value: Any) -> Problems:
    if not isinstance(value, dict):
        return
    low, high, preset = value.get("minimum"), value.get("maximum"), value.get("preset")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        yield ("maximum",), f"maximum must be at least minimum ({low})"
    if isinstance(preset, int):
        if isinstance(low, int) and preset < low:
            yield ("preset",), f"preset must be at least minimum ({low})"
        if isinstance(high, int) and preset > high:
            yield ("preset",), f"preset must be at most maximum ({high})"


def meter_for_metered(price: Mapping[str, Any]) -> Problems:
    value = price.get("recurring")
    if not isinstance(value, dict):
        return
    metered = value.get("usage_type") == "metered"
    # A legacy usage price bills without a meter; it is read-only, so the file may say so.
    if metered and "meter" not in value and price.get("legacy") is not True:
        yield ("recurring",), "a metered price needs the meter that counts its usage"
    if not metered and "meter" in value:
        yield ("recurring", "meter"), "meter is only for usage_type: metered"


def currency_options_fit(price: Mapping[str, Any]) -> Problems:
    options = price.get("currency_options")
    if not isinstance(options, dict):
        return
    tiered = "tiers" in price
    for code, option in options.items():
        where = ("currency_options", code)
        if not (isinstance(code, str) and len(code) == 3 and code.isalpha() and code.islower()):
            yield where, f"currency {code!r} must be a three-letter lowercase ISO 4217 code"
        elif code == price.get("currency"):
            yield where, f"{code} is the price's own currency: set it with amount or tiers"
        elif code not in ISO_4217:
            yield where, f"unknown currency {code!r} (not an ISO 4217 code)"
        if not isinstance(option, dict):
            continue
        if tiered and "amount" in option:
            yield (*where, "amount"), "a tiered price takes tiers, not amount, in each currency"
        elif tiered and "tiers" not in option:
            yield where, "a tiered price needs tiers in each currency option"
        elif not tiered and "tiers" in option:
            yield (*where, "tiers"), "tiers in a currency option need a tiered price"
        elif not tiered and "amount" not in option and "custom_unit_amount" not in option:
            yield where, "a currency option needs amount (or custom_unit_amount)"
