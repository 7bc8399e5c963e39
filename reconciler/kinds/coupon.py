"""The coupon and promotion code kinds: discounts declared in plan files.

Stripe updates only a coupon's name (and metadata) in place (docs.stripe.com/api/coupons/update);
any other difference plans a new coupon. A promotion code changes only `active` (and metadata);
its coupon, limits and restrictions are fixed at creation. Both are identified by metadata
(`plan-key` for coupons, the customer-facing `code` for promotion codes); a coupon's products and
a code's coupon are named by their plan keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.kinds.field import Codec, Field, Flag, Lowercase, Mutability, Record, RelPath
from reconciler.kinds.kind import Kind, PlanKey, register_kind
from reconciler.kinds.meter import KEY_SCHEMA, Nested
from reconciler.kinds.rules import Rules

DURATIONS = ("forever", "once", "repeating")
_POSITIVE: Mapping[str, Any] = {"type": "integer", "minimum": 1}
_TIMESTAMP: Mapping[str, Any] = {
    "type": "integer",
    "minimum": 1,
    "description": "A Unix timestamp (seconds).",
}


class Percent(Codec):
    """A percentage Stripe answers as a float (`20.0`): whole numbers are kept as integers, so
    a plan's `20` and Stripe's answer have one spelling."""

    def from_plan(self, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        return self.from_plan(super().from_stripe(raw, path))


def _discount(document: Mapping[str, Any]) -> Iterator[tuple[RelPath, str]]:
    """A coupon takes percent_off, or amount_off with its currency (docs: coupons/create)."""
    percent, amount = "percent_off" in document, "amount_off" in document
    if percent == amount:
        yield (), "a coupon takes exactly one of percent_off and amount_off"
    if amount and "currency" not in document:
        yield ("amount_off",), "amount_off needs a currency"
    if "currency" in document and not amount:
        yield ("currency",), "currency is only for amount_off coupons"
    repeating = document.get("duration") == "repeating"
    if repeating and "duration_in_months" not in document:
        yield ("duration",), "a repeating coupon needs duration_in_months"
    if "duration_in_months" in document and not repeating:
        yield ("duration_in_months",), "duration_in_months is only for duration: repeating"


COUPON = register_kind(
    Kind(
        name="coupon",
        rules=Rules(
            noun="coupon",
            create_phase=3,
            update_phase=3,
            retire="never",
            replacement="release_key",
            prunable=False,
            kept_because="Stripe cannot archive a coupon and reconciler never deletes",
            replacement_note="the new coupon takes over the plan key; the old one stays redeemable",
        ),
        fields=(
            Field("name", schema={"type": "string", "minLength": 1}, unset=""),
            Field(
                "percent_off",
                Percent(),
                schema={"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                mutability=Mutability.REPLACE,
            ),
            Field("amount_off", schema=_POSITIVE, mutability=Mutability.REPLACE),
            Field(
                "currency",
                Lowercase(),
                schema={"type": "string", "pattern": "^[A-Za-z]{3}$"},
                mutability=Mutability.REPLACE,
            ),
            Field(
                "duration",
                schema={"enum": list(DURATIONS)},
                mutability=Mutability.REPLACE,
                default="once",
            ),
            Field("duration_in_months", schema=_POSITIVE, mutability=Mutability.REPLACE),
            Field("max_redemptions", schema=_POSITIVE, mutability=Mutability.REPLACE),
            Field("redeem_by", schema=_TIMESTAMP, mutability=Mutability.REPLACE),
            Field(
                "applies_to",
                Nested("products"),
                schema={"type": "array", "items": KEY_SCHEMA, "minItems": 1, "uniqueItems": True},
                mutability=Mutability.REPLACE,
                response_path="applies_to.products",
                expand="applies_to",
                description="The plan keys of the products the coupon applies to.",
            ),
        ),
        plan_keys=(
            PlanKey("key", {**KEY_SCHEMA, "description": "Stable identity (metadata plan-key)."}),
            PlanKey("metadata", {"$ref": "#/$defs/metadata"}),
        ),
        required=("key",),
        order=(
            "key",
            "name",
            "percent_off",
            "amount_off",
            "currency",
            "duration",
            "duration_in_months",
            "max_redemptions",
            "redeem_by",
            "applies_to",
            "metadata",
        ),
        checks=(_discount,),
    )
)

NO_RESTRICTIONS = {
    "first_time_transaction": False,
    "minimum_amount": None,
    "minimum_amount_currency": None,
}


def _minimum(document: Mapping[str, Any]) -> Iterator[tuple[RelPath, str]]:
    restrictions = document.get("restrictions")
    if not isinstance(restrictions, Mapping):
        return
    if ("minimum_amount" in restrictions) != ("minimum_amount_currency" in restrictions):
        yield ("restrictions",), "minimum_amount and minimum_amount_currency go together"


PROMOTION_CODE = register_kind(
    Kind(
        name="promotion_code",
        rules=Rules(
            noun="promotion code",
            create_phase=4,
            update_phase=4,
            follows="coupon",
            follow_note="its coupon {key} is replaced, and a code keeps its coupon",
        ),
        fields=(
            Field(
                "code",
                schema={
                    "type": "string",
                    "pattern": "^[A-Za-z0-9-]+$",
                    "x-message": "must be letters, digits and dashes (-)",
                },
                mutability=Mutability.REPLACE,
            ),
            Field(
                "coupon",
                Nested("coupon", type="coupon"),
                schema=KEY_SCHEMA,
                mutability=Mutability.REPLACE,
                stripe_param="promotion",
                response_path="promotion.coupon",
                description="The plan key of the coupon this code redeems.",
            ),
            Field("active", Flag(), schema={"type": "boolean"}, default=True),
            Field("max_redemptions", schema=_POSITIVE, mutability=Mutability.REPLACE),
            Field("expires_at", schema=_TIMESTAMP, mutability=Mutability.REPLACE),
            Field(
                "restrictions",
                Record(
                    Field(
                        "first_time_transaction", Flag(), schema={"type": "boolean"}, default=False
                    ),
                    Field("minimum_amount", schema=_POSITIVE),
                    Field(
                        "minimum_amount_currency",
                        Lowercase(),
                        schema={"type": "string", "pattern": "^[A-Za-z]{3}$"},
                    ),
                ),
                mutability=Mutability.REPLACE,
                default=NO_RESTRICTIONS,
            ),
        ),
        plan_keys=(PlanKey("metadata", {"$ref": "#/$defs/metadata"}),),
        required=("code", "coupon"),
        order=(
            "code",
            "coupon",
            "active",
            "max_redemptions",
            "expires_at",
            "restrictions",
            "metadata",
        ),
        checks=(_minimum,),
    )
)
