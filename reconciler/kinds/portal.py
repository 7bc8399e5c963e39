"""The Billing Portal configuration kind: what customers may do in the portal, as code.

The tool keeps one configuration (marked `managed-by: reconciler`). Stripe updates every
field in place (docs.stripe.com/api/customer_portal/configurations/update), so it is never
replaced. The products and prices customers may switch between are named by product keys and
lookup keys; when the plan leaves them out they are derived from the plan files (every active
product with its active recurring prices).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.kinds.field import Codec, Field, Flag, Record
from reconciler.kinds.identity import Candidate, Identity, Rule, Source, plan_key_metadata, slug
from reconciler.kinds.kind import Kind, PlanKey, register_kind
from reconciler.kinds.meter import KEY_SCHEMA, Nested
from reconciler.kinds.rules import Rules

DEFAULT_KEY = "default"


def _marked_default(candidate: Candidate) -> str | None:
    # The one configuration the tool kept before several were declared: `default` in files.
    return DEFAULT_KEY if candidate.facts.get("managed") else None


def _portal_key(candidate: Candidate) -> str:
    """`default` for the account's default configuration (the Dashboard's), else its
    headline as a key, else `portal`."""
    if candidate.facts.get("is_default"):
        return DEFAULT_KEY
    return slug(str(candidate.terms.get("headline") or ""), "portal")


CANCEL_MODES = ("at_period_end", "immediately")
PRORATIONS = ("always_invoice", "create_prorations", "none")
ALLOWED_UPDATES = ("price", "promotion_code", "quantity")
_URL: Mapping[str, Any] = {
    "type": "string",
    "pattern": "^https?://[^\\s]+$",
    "x-message": "must be an http:// or https:// URL",
}


class Switch(Codec):
    """A portal feature that is on or off: `invoice_history: true` in a plan file,
    `features[invoice_history][enabled]=true` for Stripe."""

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        return bool((raw.get(path) or {}).get("enabled"))

    def to_stripe(self, state: Any, param: str) -> dict[str, Any]:
        return {param: {"enabled": bool(state)}}


class SwitchProducts(Codec):
    """Product key -> lookup keys in a plan file and in the state; Stripe's list of
    `{product, prices}` on the wire (the boundary turns keys into ids and back)."""

    def from_plan(self, value: Any) -> Any:
        if value is None:
            return None
        return {key: sorted(prices) for key, prices in sorted(value.items())}

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        entries = raw.get(path)
        if entries is None:
            return None
        return self.from_plan({e["product"]: list(e["prices"]) for e in entries})

    def to_stripe(self, state: Any, param: str) -> dict[str, Any]:
        if state is None:
            return {}
        return {param: [{"product": key, "prices": list(v)} for key, v in state.items()]}


CANCELLATION = Record(
    Field("enabled", Flag(), schema={"type": "boolean"}, default=True),
    Field("mode", schema={"enum": list(CANCEL_MODES)}, default="at_period_end"),
    Field("proration_behavior", schema={"enum": list(PRORATIONS)}, default="none"),
)
PLAN_SWITCHING = Record(
    Field("enabled", Flag(), schema={"type": "boolean"}, default=True),
    Field(
        "default_allowed_updates",
        schema={"type": "array", "items": {"enum": list(ALLOWED_UPDATES)}, "uniqueItems": True},
        default=["price"],
    ),
    Field("proration_behavior", schema={"enum": list(PRORATIONS)}, default="create_prorations"),
    Field(
        "products",
        SwitchProducts(),
        schema={
            "description": "Product key -> the lookup keys customers may switch to; left out: "
            "every active product with its active recurring prices.",
            "type": "object",
            "additionalProperties": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "minItems": 1,
            },
        },
    ),
)
FEATURES = Record(
    Field("invoice_history", Switch(), schema={"type": "boolean"}, default=True),
    Field("payment_method_update", Switch(), schema={"type": "boolean"}, default=True),
    Field(
        "subscription_cancel",
        CANCELLATION,
        plan_key="cancellation",
        default=CANCELLATION.from_plan({}),
    ),
    Field(
        "subscription_update",
        PLAN_SWITCHING,
        plan_key="plan_switching",
        default=PLAN_SWITCHING.from_plan({}),
    ),
)

PORTAL_CONFIGURATION = register_kind(
    Kind(
        name="portal_configuration",
        rules=Rules(
            noun="portal configuration",
            keyed_by_metadata=True,
            default_key="default",
            create_phase=6,
            update_phase=6,
            lists="features.subscription_update.products",
        ),
        fields=(
            Field("default_return_url", schema=_URL, unset=""),
            Field(
                "headline",
                Nested("headline"),
                schema={"type": "string", "minLength": 1},
                stripe_param="business_profile",
                response_path="business_profile.headline",
            ),
            Field(
                "features",
                FEATURES,
                default=FEATURES.from_plan({}),
                expand="features.subscription_update.products",
            ),
        ),
        plan_keys=(
            PlanKey(
                "key",
                {
                    **KEY_SCHEMA,
                    "description": "Stable identity (metadata plan-key); `default` is the "
                    "account's default configuration.",
                },
            ),
            PlanKey("metadata", {"$ref": "#/$defs/metadata"}),
        ),
        order=("key", "default_return_url", "headline", "features", "metadata"),
        identity=Identity(
            (
                Rule(Source.PLAN_KEY, plan_key_metadata),
                Rule(Source.PLAN_KEY, _marked_default),
                Rule(Source.DERIVED, _portal_key),
            ),
            fallback="portal",
        ),
    )
)
