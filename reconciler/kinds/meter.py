"""The billing meter kind: what a plan file declares about a Stripe Billing Meter.

Stripe changes only a meter's display name in place (docs.stripe.com/api/billing/meter/update
takes `display_name` alone); any other difference plans a new meter. A meter has no metadata,
so it is identified by its event name (one active meter per event name), and prices name it by
its plan key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.kinds.field import Codec, Field, Mutability
from reconciler.kinds.identity import Identity, Rule, Source, term
from reconciler.kinds.kind import Kind, PlanKey, register_kind
from reconciler.kinds.rules import Rules

FORMULAS = ("count", "last", "sum")
TIME_WINDOWS = ("day", "hour")
DEFAULT_CUSTOMER_KEY = "stripe_customer_id"
DEFAULT_VALUE_KEY = "value"
KEY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": "^[a-z0-9][a-z0-9_-]*$",
    "maxLength": 64,
    "x-message": "must be lowercase letters, digits, '-' or '_', starting with a letter or digit",
}


class Nested(Codec):
    """A value Stripe takes one level down (`default_aggregation[formula]`), with any fixed
    companions (`customer_mapping[type]=by_id`)."""

    def __init__(self, inner: str, **fixed: str) -> None:
        self.inner = inner
        self.fixed = fixed

    def to_stripe(self, state: Any, param: str) -> dict[str, Any]:
        return {} if state is None else {param: {self.inner: state, **self.fixed}}


def _text(limit: int) -> Mapping[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": limit}


METER = register_kind(
    Kind(
        name="meter",
        rules=Rules(
            noun="meter",
            metadata=False,
            prunable=False,
            kept_because="a meter carries no ownership marker, so reconciler leaves it active",
            replacement_note="a new meter takes over event name {key}; the old one is deactivated",
        ),
        fields=(
            Field(
                "event_name",
                schema=_text(100),
                mutability=Mutability.REPLACE,
                description="The event name meter events carry (at most 100 characters).",
            ),
            Field("display_name", schema=_text(250), default=""),
            Field(
                "formula",
                Nested("formula"),
                schema={"enum": list(FORMULAS)},
                mutability=Mutability.REPLACE,
                stripe_param="default_aggregation",
                response_path="default_aggregation.formula",
                default="sum",
                description="How events aggregate: count, last or sum.",
            ),
            Field(
                "customer_payload_key",
                Nested("event_payload_key", type="by_id"),
                schema=_text(100),
                mutability=Mutability.REPLACE,
                stripe_param="customer_mapping",
                response_path="customer_mapping.event_payload_key",
                default=DEFAULT_CUSTOMER_KEY,
            ),
            Field(
                "value_payload_key",
                Nested("event_payload_key"),
                schema=_text(100),
                mutability=Mutability.REPLACE,
                stripe_param="value_settings",
                response_path="value_settings.event_payload_key",
                default=DEFAULT_VALUE_KEY,
            ),
            Field(
                "event_time_window",
                schema={"enum": list(TIME_WINDOWS)},
                mutability=Mutability.REPLACE,
            ),
        ),
        plan_keys=(
            PlanKey(
                "key",
                {**KEY_SCHEMA, "description": "The name metered prices use for this meter."},
            ),
        ),
        required=("key", "event_name", "display_name"),
        order=(
            "key",
            "event_name",
            "display_name",
            "formula",
            "customer_payload_key",
            "value_payload_key",
            "event_time_window",
        ),
        # No metadata: the event name the user chose (one active meter per event name).
        identity=Identity((Rule(Source.OWN_ID, term("event_name")),), fallback="meter"),
    )
)
