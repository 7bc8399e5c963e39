"""How the one reconcile engine treats a kind: declared with the kind, read by the diff, the
apply, the plan and its renderers, which never test a kind by name.

Stripe's rules differ per kind (docs.stripe.com/api): a product is updated in place and
archived; a price's amounts and terms are fixed at creation, so a new price takes over the
lookup key (`transfer_lookup_key`) and the old one is archived; a meter's event name and
aggregation are fixed, and only one active meter holds an event name; a coupon can be neither
changed nor archived; a promotion code keeps its coupon for life; a default portal
configuration cannot be deactivated. Each of those is a value below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

# How an object is taken out of use: archived (`active: false` on products and prices),
# deactivated (meters, codes, features, portal configurations), detached (a product feature),
# or never (a coupon: Stripe has no archive for it and the tool never deletes).
Retire = Literal["archive", "deactivate", "detach", "never"]
# How a field Stripe cannot change is changed: a new object taking over the identity and the
# roles of the old one before the old one is archived (`transfer`, prices); the old one retired
# first where Stripe allows one active object per identity (`retire_first`); or the new one made
# first and the old one released of the plan key it keeps (`release_key`, coupons).
Replacement = Literal["transfer", "retire_first", "release_key"]


@dataclass(frozen=True)
class LateField:
    """A field written after the object itself, in a later phase: a product's default price
    waits for its prices, the product's record of attached features waits for every
    attachment. `path` is the state key (`metadata.<key>` for a metadata key); `writer` names
    the boundary call that writes it."""

    path: str
    phase: int
    set_step: str
    unset_step: str
    writer: Literal["default_price", "update"]
    tag: str  # the step's part of the idempotency key
    # The kind whose object the field names by its key (a default price: a price), if any.
    refers_to: str | None = None


@dataclass(frozen=True)
class Rules:
    """The engine's per-kind rules. Phases order apply's steps across kinds: a kind's objects
    are written after the kinds they name (prices after their product and meter, promotion
    codes after their coupon, the portal after the prices it lists)."""

    noun: str
    rank: int = 2  # plan order: products, then prices, then account-level kinds
    create_phase: int = 0
    update_phase: int = 1
    # A replacement's new object (default: with the creates); a price's waits for the updates
    # of the prices whose lookup keys it may take.
    replace_phase: int | None = None
    # An update that sets `active: false` waits until nothing points at the object any more.
    deactivate_phase: int | None = None
    retire: Retire = "deactivate"
    retire_phase: int = 8
    replacement: Replacement = "retire_first"
    metadata: bool = True  # carries metadata, the ownership marker among it
    # The plan key is written into its metadata (`plan-key`): the kind's identity starts there
    # (a coupon, a portal configuration), except for `default_key`, the key of the account's
    # default object, which is known by being the default.
    keyed_by_metadata: bool = False
    default_key: str | None = None
    # The kind whose object each of these belongs to (a price's product), named in its plan
    # state under that kind's name and written before it.
    parent: str | None = None
    # Counted by the safety rail (every kind but the product, whose archive only follows the
    # archive of its prices).
    railed: bool = True
    # Its metadata grants limits and features to subscribers (a price): the plan counts the
    # subscriptions a change of them touches.
    grants: bool = False
    # The plan JSON's extra name for the identity (schema_version 1: a price's `lookup_key`).
    json_identity: str | None = None
    late: tuple[LateField, ...] = ()
    # What happens to the old object when a new one replaces it, for the plan's reason
    # (`{key}`: the identity).
    replacement_note: str = ""
    # The kind of object this one follows: when the object it follows gets a new Stripe object
    # (a coupon or meter replaced), this one is replaced too, because Stripe cannot point it
    # at another (a promotion code keeps its coupon, a price its meter). `follows_path` is where
    # its state names the followed object's key. By "key": only when the followed object is
    # replaced in this plan; by "id": whenever the id it follows is not the one the followed
    # key keeps after this plan (an earlier apply may have replaced it).
    follows: str | None = None
    follows_path: str = ""
    follow_by: Literal["key", "id"] = "key"
    # Why, for the plan, by what happened to the followed object: "replaced" in this plan,
    # "inactive" (a new one takes over), "moved" (replaced earlier: `{kept}` holds the key now,
    # while this one still follows `{held}`); `{key}` is the followed object's key.
    follow_notes: Mapping[str, str] = field(default_factory=dict)
    # When a kept object no plan declares still follows an object this plan renews.
    stranded_note: str = ""
    # How a declared object finds a live one made by hand when no key names it: by its name
    # ("name": a product), by the fields Stripe cannot change, among its parent's objects
    # ("terms": a price), or by both, among the account's ("named_terms": a coupon, whose
    # terms alone many coupons share). Two candidates are ambiguous and never guessed.
    shape: Literal["name", "terms", "named_terms"] | None = None
    # Of several live objects holding its key, the oldest is taken (else the newest, active
    # and managed first).
    prefer_oldest: bool = False
    # A declared object may be found through its children: the unmanaged parent of a live
    # object holding one of its declared children's keys (a product through its prices).
    found_through_children: bool = False
    # Why the old object of a replacement stays active: it is what a late field of a parent
    # no plan declares still names (`{parent}`: that parent's key or id).
    stays_note: str = ""
    # The path of a mapping (parent key -> keys of this kind's children) the state lists, whose
    # entries a replacement of a child renames (the portal's switchable prices).
    lists: str = ""
    # An archived object a plan declares is made active again (products, prices); else a new
    # object takes over its key (an archived meter, coupon, code or feature is not brought back).
    revived: bool = False
    # Whether `--prune` retires a managed object no plan declares; when not, why it stays.
    prunable: bool = True
    kept_because: str = ""

    def retire_step(self) -> str:
        verb = "archive" if self.retire == "archive" else "retire"
        return f"{verb} {self.noun}"
