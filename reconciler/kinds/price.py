"""The price kind, declared once: every field a plan file can give a Stripe price.

Updatable in place (docs.stripe.com/api/prices/update): active, lookup_key, metadata, nickname,
tax_behavior (only while it is `unspecified`). Every other field is fixed once the price exists,
so a difference plans a replacement price that takes over the lookup key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

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
)
from reconciler.kinds.identity import Identity, Rule, Source, term
from reconciler.kinds.kind import Kind, PlanKey, Terms, register_kind
from reconciler.kinds.price_checks import (
    amount_limits,
    amount_or_tiers,
    currency_options_fit,
    custom_range,
    default_is_active,
    interval_count_limit,
    known_currency,
    lookup_key_length,
    meter_for_metered,
    tier_order,
    trial_needs_recurring,
)
from reconciler.kinds.price_identity import terms_key
from reconciler.kinds.rules import Rules

# docs.stripe.com/api/prices/update takes no `recurring`: a price keeps its meter for life.
_NO_MOVE = "Stripe cannot move a price to another meter"
INTERVALS = ("day", "week", "month", "year")
TAX_BEHAVIORS = ("inclusive", "exclusive", "unspecified")
TIERS_MODES = ("graduated", "volume")
USAGE_TYPES = ("licensed", "metered")
ROUNDINGS = ("up", "down")
Problems = Iterator[tuple[RelPath, str]]


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
    Field("tiers", Items(TIER), schema={"minItems": 1}, default=[], checks=(tier_order,)),
    Field("tax_behavior", schema={"enum": list(TAX_BEHAVIORS)}, default="unspecified"),
    Field("custom_unit_amount", CUSTOM_UNIT_AMOUNT, checks=(custom_range,)),
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
            shape="terms",
            revived=True,
            follows="meter",
            follows_path="recurring.meter",
            follow_by="id",
            follow_notes={
                "replaced": "its meter {key} is replaced, and " + _NO_MOVE,
                "inactive": "its meter {key} is inactive and a new meter takes over its event "
                "name, and " + _NO_MOVE,
                "moved": "its meter {key} was replaced by {kept} and the price still bills "
                "against {held}, and " + _NO_MOVE,
            },
            stranded_note="it bills against meter {held}, which no longer receives {key} usage "
            "after this plan: declare it to move it to the new meter",
            stays_note="the old price stays active: it is the default price of product "
            "{parent}, which no plan declares (--prune archives that product and its prices)",
        ),
        fields=(
            Field(
                "lookup_key",
                schema={"type": "string", "minLength": 1},
                default="",
                unset="",
                update_extra={"transfer_lookup_key": True},
                checks=(lookup_key_length,),
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
                checks=(known_currency,),
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
                checks=(interval_count_limit,),
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
                checks=(tier_order,),
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
                checks=(custom_range,),
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
            amount_or_tiers,
            trial_needs_recurring,
            default_is_active,
            currency_options_fit,
            meter_for_metered,
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
