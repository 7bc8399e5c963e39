"""The Stripe Entitlements feature kind: declared in the objects file, or derived from the
plans' boolean features.

An objects file's `features` section declares features by lookup key, with their name, metadata
and the products they are attached to. With `stripe_entitlements: true` in reconciler.yaml,
every boolean feature a plan grants is also a feature whose lookup key and name are the
feature's name, attached to each product that grants it (a declared feature of that lookup key
keeps its own name and metadata). Stripe updates a feature's name in place; its lookup key is
its identity (docs.stripe.com/api/entitlements/feature/object: both at most 80 characters).
"""

from __future__ import annotations

from reconciler.kinds.field import Field, Mutability
from reconciler.kinds.identity import Candidate, Identity, Rule, Source, term
from reconciler.kinds.kind import Kind, PlanKey, register_kind
from reconciler.kinds.meter import KEY_SCHEMA
from reconciler.kinds.rules import Rules

MAX_LENGTH = 80


def _attachment_key(candidate: Candidate) -> str:
    """`<product key>/<feature lookup key>`: both ends' identities (the product's is the
    candidate's parent, the feature's lookup key is in its terms)."""
    return f"{candidate.parent}/{candidate.terms.get('entitlement_feature')}"


FEATURE = register_kind(
    Kind(
        name="feature",
        rules=Rules(noun="feature", create_phase=1),
        fields=(
            Field(
                "lookup_key",
                schema={"type": "string", "minLength": 1, "maxLength": MAX_LENGTH},
                mutability=Mutability.REPLACE,
            ),
            Field("name", schema={"type": "string", "minLength": 1, "maxLength": MAX_LENGTH}),
        ),
        plan_keys=(
            PlanKey(
                "products",
                {
                    "description": "The keys of the products this feature is attached to.",
                    "type": "array",
                    "items": KEY_SCHEMA,
                    "uniqueItems": True,
                },
            ),
            PlanKey("metadata", {"$ref": "#/$defs/metadata"}),
        ),
        required=("lookup_key", "name"),
        order=("lookup_key", "name", "products", "metadata"),
        # The lookup key is chosen by whoever creates the feature and cannot change.
        identity=Identity((Rule(Source.OWN_ID, term("lookup_key")),), fallback="feature"),
    )
)

# A feature attached to a product (docs.stripe.com/api/product-feature): nothing to update,
# so a difference is a new attachment. Both ends are named by plan keys.
PRODUCT_FEATURE = register_kind(
    Kind(
        name="product_feature",
        rules=Rules(
            noun="product feature", create_phase=3, update_phase=3, retire="detach", metadata=False
        ),
        fields=(
            Field("product", schema={"type": "string"}, mutability=Mutability.REPLACE),
            Field(
                "entitlement_feature",
                schema={"type": "string"},
                mutability=Mutability.REPLACE,
            ),
        ),
        required=("product", "entitlement_feature"),
        order=("product", "entitlement_feature"),
        identity=Identity((Rule(Source.DERIVED, _attachment_key),), fallback="attachment"),
    )
)
