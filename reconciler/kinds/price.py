"""The price kind, declared once: every field a plan file can give a Stripe price.

Updatable in place (docs.stripe.com/api/prices/update): active, lookup_key, metadata, nickname,
tax_behavior (only while it is `unspecified`). Every other field is fixed once the price exists,
so a difference plans a replacement price that takes over the lookup key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from reconciler.currencies import ISO_4217, amount_problem
from reconciler.kinds.field import (
    Amount,
    Field,
    Flag,
    Items,
    Keyed,
    Lowercase,
    Mutability,
    Present,
    Record,
    Ref,
    RelPath,
    UpTo,
    too_long,
)
from reconciler.kinds.identity import Identity, Rule, Source, term
from reconciler.kinds.kind import Kind, PlanKey, Terms, register_kind
from reconciler.kinds.price_identity import terms_key
from reconciler.kinds.rules import Rules

MAX_LOOKUP_KEY_LENGTH = 200
# "Maximum of three years interval allowed (3 years, 36 months, or 156 weeks)" (the pinned
# SDK's PriceCreateParams, from Stripe's API reference); days are not named there: 3 x 365.
MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}
INTERVALS = ("day", "week", "month", "year")
TAX_BEHAVIORS = ("inclusive", "exclusive", "unspecified")
TIERS_MODES = ("graduated", "volume")
USAGE_TYPES = ("licensed", "metered")
ROUNDINGS = ("up", "down")
Problems = Iterator[tuple[RelPath, str]]


def _lookup_key_length(value: Any) -> Problems:
    if isinstance(value, str) and len(value) > MAX_LOOKUP_KEY_LENGTH:
        yield (), too_long("lookup_key", len(value), MAX_LOOKUP_KEY_LENGTH)


def _known_currency(value: Any) -> Problems:
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


def _interval_count_limit(value: Any) -> Problems:
    if not isinstance(value, dict):
        return
    interval, count = value.get("interval"), value.get("interval_count", 1)
    top = MAX_INTERVAL_COUNT.get(interval) if isinstance(interval, str) else None
    if top is not None and isinstance(count, int) and count > top:
        yield (
            ("interval_count",),
            f"Stripe bills at least once every three years: at most {top} for interval {interval}",
        )


def _tier_order(tiers: Any) -> Problems:
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


def _amount_or_tiers(price: Mapping[str, Any]) -> Problems:
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


def _trial_needs_recurring(price: Mapping[str, Any]) -> Problems:
    if not isinstance(price.get("recurring"), dict) and "trial_days" in price:
        yield ("trial_days",), "trial_days needs a recurring price"


def _default_is_active(price: Mapping[str, Any]) -> Problems:
    if price.get("default") is True and price.get("active") is False:
        yield ("active",), "the default price cannot be inactive"


def _custom_range(value: Any) -> Problems:
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


def _meter_for_metered(price: Mapping[str, Any]) -> Problems:
    value = price.get("recurring")
    if not isinstance(value, dict):
        return
    metered = value.get("usage_type") == "metered"
    # A legacy usage price bills without a meter; it is read-only, so the file may say so.
    if metered and "meter" not in value and price.get("legacy") is not True:
        yield ("recurring",), "a metered price needs the meter that counts its usage"
    if not metered and "meter" in value:
        yield ("recurring", "meter"), "meter is only for usage_type: metered"


def _currency_options_fit(price: Mapping[str, Any]) -> Problems:
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


def _currency_dropped(before: Any, after: Any) -> bool:
    # Stripe updates or adds currency options in place, but cannot remove one.
    return not set(before or {}) <= set(after or {})


def _one_scheme(terms: Terms) -> Terms:
    """A tiered price has no unit amount and a per-unit price no tiers mode (Stripe answers
    null for them), so plan and Stripe agree on both."""
    if terms["tiers"]:
        return {**terms, "unit_amount": None}
    return {**terms, "tiers_mode": None}


def _billing_scheme(terms: Mapping[str, Any]) -> dict[str, Any]:
    return {"billing_scheme": "tiered"} if terms.get("tiers") else {}


def _tax_behavior_fixed(before: Any, after: Any) -> bool:
    # Stripe changes a price's tax behaviour only from `unspecified`.
    return str(before) != str(after) and str(before) != "unspecified"


TIER = Record(
    Field(
        "up_to",
        UpTo(),
        schema={
            "x-message": "must be a positive integer or 'inf'",
            "anyOf": [{"type": "integer", "minimum": 1}, {"const": "inf"}],
        },
        required=True,
    ),
    Field("unit_amount", Amount(), checks=(amount_limits,)),
    Field("flat_amount", Amount(), checks=(amount_limits,)),
)


CUSTOM_UNIT_AMOUNT = Record(
    Field(
        "enabled",
        Present(),
        schema={"const": True, "x-message": "must be true (leave custom_unit_amount out instead)"},
        default=True,
    ),
    Field("minimum", schema={"type": "integer", "minimum": 0}),
    Field("maximum", schema={"type": "integer", "minimum": 0}),
    Field("preset", schema={"type": "integer", "minimum": 0}),
)


CURRENCY_OPTION = Record(
    Field("unit_amount", Amount(), plan_key="amount", checks=(amount_limits,)),
    Field("tiers", Items(TIER), schema={"minItems": 1}, default=[], checks=(_tier_order,)),
    Field("tax_behavior", schema={"enum": list(TAX_BEHAVIORS)}, default="unspecified"),
    Field("custom_unit_amount", CUSTOM_UNIT_AMOUNT, checks=(_custom_range,)),
)

PRICE = register_kind(
    Kind(
        name="price",
        rules=Rules(
            noun="price",
            rank=1,
            create_phase=2,
            update_phase=3,
            deactivate_phase=7,
            replace_phase=4,
            retire="archive",
            retire_phase=7,
            replacement="transfer",
            parent="product",
            json_identity="lookup_key",
            grants=True,
        ),
        fields=(
            Field(
                "lookup_key",
                schema={"type": "string", "minLength": 1},
                default="",
                unset="",
                update_extra={"transfer_lookup_key": True},
                checks=(_lookup_key_length,),
            ),
            Field("nickname", schema={"type": "string", "minLength": 1}, unset=""),
            Field(
                "unit_amount",
                Amount(),
                plan_key="amount",
                mutability=Mutability.REPLACE,
                checks=(amount_limits,),
            ),
            Field(
                "currency",
                Lowercase(),
                schema={
                    "type": "string",
                    "pattern": "^[a-z]{3}$",
                    "x-message": "must be a three-letter lowercase ISO 4217 code such as usd",
                },
                mutability=Mutability.REPLACE,
                checks=(_known_currency,),
            ),
            Field(
                "recurring",
                Record(
                    Field("interval", schema={"enum": list(INTERVALS)}, required=True),
                    Field("interval_count", schema={"type": "integer", "minimum": 1}, default=1),
                    Field("usage_type", schema={"enum": list(USAGE_TYPES)}, default="licensed"),
                    Field("meter", Ref("meter"), schema={"type": "string", "minLength": 1}),
                ),
                mutability=Mutability.REPLACE,
                checks=(_interval_count_limit,),
            ),
            Field(
                "tax_behavior",
                schema={"enum": list(TAX_BEHAVIORS)},
                default="unspecified",
                replaces_when=_tax_behavior_fixed,
            ),
            Field("active", Flag(), schema={"type": "boolean"}, default=True),
            Field("tiers_mode", schema={"enum": list(TIERS_MODES)}, mutability=Mutability.REPLACE),
            Field(
                "tiers",
                Items(TIER),
                schema={"minItems": 1},
                default=[],
                mutability=Mutability.REPLACE,
                checks=(_tier_order,),
                expand="tiers",
            ),
            Field(
                "currency_options",
                Keyed(CURRENCY_OPTION, skip="currency"),
                schema={"x-message": "must map lowercase currency codes to options"},
                default={},
                replaces_when=_currency_dropped,
                expand="currency_options",
                description="The price in other currencies: amount or tiers, tax_behavior, "
                "custom_unit_amount per currency.",
            ),
            Field(
                "custom_unit_amount",
                CUSTOM_UNIT_AMOUNT,
                mutability=Mutability.REPLACE,
                checks=(_custom_range,),
                description="The customer chooses the amount (Checkout, Payment Links).",
            ),
            Field(
                "transform_quantity",
                Record(
                    Field("divide_by", schema={"type": "integer", "minimum": 1}, required=True),
                    Field("round", schema={"enum": list(ROUNDINGS)}, required=True),
                ),
                mutability=Mutability.REPLACE,
                description="Divide the quantity before billing (e.g. per 1,000 units).",
            ),
        ),
        plan_keys=(
            PlanKey("trial_days", {"type": "integer", "minimum": 1, "maximum": 730}),
            PlanKey("default", {"type": "boolean"}),
            PlanKey("limits", {"$ref": "#/$defs/limits"}),
            PlanKey("features", {"$ref": "#/$defs/features"}),
            PlanKey("metadata", {"$ref": "#/$defs/metadata"}),
            PlanKey(
                "legacy",
                {
                    "description": "A price from before the current API model (a plan_... id, "
                    "or aggregate_usage): read-only, never replaced, archived or created.",
                    "type": "boolean",
                },
            ),
        ),
        required=("lookup_key", "currency"),
        order=(
            "lookup_key",
            "nickname",
            "amount",
            "currency",
            "recurring",
            "tax_behavior",
            "trial_days",
            "default",
            "active",
            "legacy",
            "tiers_mode",
            "tiers",
            "currency_options",
            "custom_unit_amount",
            "transform_quantity",
            "limits",
            "features",
            "metadata",
        ),
        checks=(
            _amount_or_tiers,
            _trial_needs_recurring,
            _default_is_active,
            _currency_options_fit,
            _meter_for_metered,
        ),
        bookkeeping=frozenset(
            {"id", "object", "created", "livemode", "product", "metadata", "billing_scheme", "type"}
        ),
        unrepresented={"recurring.trial_period_days": None, "recurring.aggregate_usage": None},
        normalize=_one_scheme,
        create_extra=_billing_scheme,
        # Lookup keys are unique in the account; a price without one gets its product's key
        # and its terms, which is also the lookup key adoption writes onto it.
        identity=Identity(
            (Rule(Source.LOOKUP_KEY, term("lookup_key")), Rule(Source.DERIVED, terms_key)),
            fallback="price",
        ),
    )
)
