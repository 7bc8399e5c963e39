"""The product kind, declared once: every field a plan file can give a Stripe product.

Stripe updates every product field in place (docs.stripe.com/api/products/update), so a
product is never replaced. Its identity is the plan key, kept in metadata (`plan-key`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.kinds.field import (
    Check,
    Codec,
    Field,
    Flag,
    Items,
    Record,
    RelPath,
    dig,
    too_long,
)
from reconciler.kinds.identity import Identity, Rule, Source, name_slug, plan_key_metadata
from reconciler.kinds.kind import Kind, PlanKey, register_kind
from reconciler.kinds.rules import LateField, Rules
from reconciler.metadata import ATTACHED_FEATURES_KEY

PRORATION_BEHAVIORS = ("create_prorations", "none", "always_invoice")
# docs.stripe.com/api/products/create: statement_descriptor, images, marketing_features.
MAX_STATEMENT_DESCRIPTOR = 22
FORBIDDEN_IN_DESCRIPTOR = "<>\\\"'"
MAX_IMAGES = 8
MAX_MARKETING_FEATURES = 15
MAX_MARKETING_FEATURE_NAME = 80
URL = {
    "type": "string",
    "pattern": "^https?://[^\\s]+$",
    "x-message": "must be an http:// or https:// URL",
}
Problems = Iterator[tuple[RelPath, str]]


class Expandable(Codec):
    """An id Stripe may answer expanded into its object (`tax_code`)."""

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        value = dig(raw, path)
        return value.get("id") if isinstance(value, Mapping) else value


class OnlyTrue(Codec):
    """A flag where false and absent mean the same (`shippable`: Stripe answers null until it
    is set, and cannot go back to null): the state is True or None."""

    def from_plan(self, value: Any) -> Any:
        return True if value else None

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        return True if dig(raw, path) else None


def _descriptor(value: Any) -> Problems:
    if not isinstance(value, str):
        return
    if len(value) > MAX_STATEMENT_DESCRIPTOR:
        yield (), too_long("statement_descriptor", len(value), MAX_STATEMENT_DESCRIPTOR)
    bad = sorted({c for c in value if c in FORBIDDEN_IN_DESCRIPTOR})
    if bad:
        yield (), f"statement_descriptor may not contain {' '.join(bad)}"
    if not any(c.isalpha() for c in value):
        yield (), "statement_descriptor must contain at least one letter"


def _at_most(limit: int, what: str) -> Check:
    def check(value: Any) -> Problems:
        if isinstance(value, list) and len(value) > limit:
            yield (), f"{len(value)} {what}; Stripe allows at most {limit}"

    return check


def _feature_name(value: Any) -> Problems:
    if isinstance(value, str) and len(value) > MAX_MARKETING_FEATURE_NAME:
        yield (), too_long("a marketing feature name", len(value), MAX_MARKETING_FEATURE_NAME)


PRODUCT = register_kind(
    Kind(
        name="product",
        rules=Rules(
            noun="product",
            rank=0,
            shape="name",
            revived=True,
            prefer_oldest=True,
            found_through_children=True,
            retire="archive",
            railed=False,
            late=(
                LateField(
                    "default_price",
                    5,
                    "set default price",
                    "unset default price",
                    "default_price",
                    "default",
                    refers_to="price",
                ),
                LateField(
                    f"metadata.{ATTACHED_FEATURES_KEY}",
                    9,
                    "record attached features",
                    "record attached features",
                    "update",
                    "marker",
                ),
            ),
        ),
        fields=(
            Field("name", schema={"type": "string", "minLength": 1}, default=""),
            Field("description", schema={"type": "string", "minLength": 1}, unset=""),
            Field("active", Flag(), schema={"type": "boolean"}, default=True),
            Field(
                "tax_code",
                Expandable(),
                schema={
                    "type": "string",
                    "pattern": "^txcd_[0-9]+$",
                    "x-message": "must be a Stripe tax code such as txcd_10103001",
                },
                unset="",
            ),
            Field("unit_label", schema={"type": "string", "minLength": 1}, unset=""),
            Field(
                "statement_descriptor",
                schema={"type": "string", "minLength": 1},
                unset="",
                checks=(_descriptor,),
            ),
            Field(
                "marketing_features",
                Items(
                    Record(
                        Field(
                            "name",
                            schema={"type": "string", "minLength": 1},
                            required=True,
                            checks=(_feature_name,),
                        )
                    )
                ),
                default=[],
                unset="",
                checks=(_at_most(MAX_MARKETING_FEATURES, "marketing features"),),
            ),
            Field(
                "images",
                Items(Codec(), URL),
                default=[],
                unset="",
                checks=(_at_most(MAX_IMAGES, "images"),),
            ),
            Field("url", schema=URL, unset=""),
            Field("shippable", OnlyTrue(), schema={"type": "boolean"}, unset=False),
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
            "tax_code",
            "unit_label",
            "statement_descriptor",
            "marketing_features",
            "images",
            "url",
            "shippable",
            "add_on",
            "metadata",
            "proration_behavior",
        ),
        bookkeeping=frozenset(
            {"id", "object", "created", "updated", "livemode", "metadata", "default_price"}
        ),
        unrepresented={"type": "service"},
        # A hand-made product has no plan key: its name, made a key, is the best a team would
        # recognise (two of one name get -2, -3 in the order they were created).
        identity=Identity(
            (Rule(Source.PLAN_KEY, plan_key_metadata), Rule(Source.DERIVED, name_slug("product"))),
            fallback="product",
        ),
    )
)
