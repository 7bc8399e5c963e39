"""The product kind, declared once: every field a plan file can give a Stripe product.

Stripe updates every product field in place (docs.stripe.com/api/products/update), so a
product is never replaced. Its identity is the plan key, kept in metadata (`plan-key`).
"""

from __future__ import annotations

from reconciler.kinds.field import Field, Flag
from reconciler.kinds.kind import Kind, PlanKey, register_kind

PRORATION_BEHAVIORS = ("create_prorations", "none", "always_invoice")

PRODUCT = register_kind(
    Kind(
        name="product",
        fields=(
            Field("name", schema={"type": "string", "minLength": 1}, default=""),
            Field("description", schema={"type": "string", "minLength": 1}, unset=""),
            Field("active", Flag(), schema={"type": "boolean"}, default=True),
        ),
        plan_keys=(
            PlanKey(
                "key",
                {
                    "description": "Stable identity of the product across test and live "
                    "(metadata plan-key).",
                    "type": "string",
                    "pattern": "^[a-z0-9][a-z0-9_-]*$",
                    "maxLength": 64,
                    "x-message": "must be lowercase letters, digits, '-' or '_', starting "
                    "with a letter or digit",
                },
            ),
            PlanKey("metadata", {"$ref": "#/$defs/metadata"}),
            PlanKey(
                "add_on",
                {
                    "description": "An add-on: bought next to a base plan, it adds its limits "
                    "(times its quantity) and features to the base plan's (metadata add-on).",
                    "type": "boolean",
                },
            ),
            PlanKey(
                "proration_behavior",
                {
                    "description": "How subscribers are prorated when --migrate-subscribers "
                    "moves them to a replacement price.",
                    "enum": list(PRORATION_BEHAVIORS),
                },
            ),
        ),
        required=("key", "name"),
        order=(
            "key",
            "name",
            "description",
            "active",
            "add_on",
            "metadata",
            "proration_behavior",
        ),
    )
)
