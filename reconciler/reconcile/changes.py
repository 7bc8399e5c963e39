"""Change values: what a plan would do to one Stripe object, with no presentation code.

Every change has an action (Terraform's symbols: create, update, replace, archive), a kind
(product or price), a stable key, the normalized state before and after, and the fields that
differ. Before/after states are plain JSON values (see `reconciler.reconcile.state`), so a plan
serializes, fingerprints and applies from the same data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from deepdiff import DeepDiff

Action = Literal["create", "update", "replace", "archive"]
Kind = Literal[
    "product",
    "price",
    "meter",
    "coupon",
    "promotion_code",
    "feature",
    "product_feature",
    "portal_configuration",
]
State = Mapping[str, Any]


@dataclass(frozen=True)
class FieldChange:
    """One differing field: a dotted path (`metadata.limits:seats`) and both values
    (None where the field is absent on that side)."""

    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class EntitlementImpact:
    """What subscribers of a price gain or lose when its limits or features change."""

    subscriptions: int
    gained: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Change:
    """Base of every change; subclasses fix `action` and `kind` and add their identities."""

    action: ClassVar[Action]
    kind: ClassVar[Kind]
    product_key: str
    before: State | None = None
    after: State | None = None
    fields: tuple[FieldChange, ...] = ()
    reason: str = ""  # for display only; decisions never read it

    @property
    def key(self) -> str:
        """The stable identity shown to users and used to sort and fingerprint."""
        return f"product:{self.product_key}"


@dataclass(frozen=True, kw_only=True)
class PriceChange(Change):
    lookup_key: str
    # The Stripe id of the declared product when it already exists; None when this plan
    # creates it (apply then uses the id it just got).
    product_id: str | None = None

    @property
    def key(self) -> str:
        return f"price:{self.lookup_key}" if self.lookup_key else "price:"


@dataclass(frozen=True, kw_only=True)
class CreateProduct(Change):
    action: ClassVar[Action] = "create"
    kind: ClassVar[Kind] = "product"


@dataclass(frozen=True, kw_only=True)
class UpdateProduct(Change):
    action: ClassVar[Action] = "update"
    kind: ClassVar[Kind] = "product"
    product_id: str


@dataclass(frozen=True, kw_only=True)
class ArchiveProduct(Change):
    action: ClassVar[Action] = "archive"
    kind: ClassVar[Kind] = "product"
    product_id: str


@dataclass(frozen=True, kw_only=True)
class CreatePrice(PriceChange):
    action: ClassVar[Action] = "create"
    kind: ClassVar[Kind] = "price"


@dataclass(frozen=True, kw_only=True)
class UpdatePrice(PriceChange):
    action: ClassVar[Action] = "update"
    kind: ClassVar[Kind] = "price"
    price_id: str
    impact: EntitlementImpact | None = None


@dataclass(frozen=True, kw_only=True)
class ReplacePrice(PriceChange):
    """Stripe forbids changing amounts, currency, interval or tiers in place: create the new
    price taking over the lookup key, move the product's default if it pointed at the old
    one, optionally move subscribers, then archive the old price."""

    action: ClassVar[Action] = "replace"
    kind: ClassVar[Kind] = "price"
    old_price_id: str
    moves_default: bool = False
    # False when the old price is the default of a product no plan declares (left alone
    # without --prune): Stripe refuses to archive it, so it stays active without its lookup key.
    archive_old: bool = True
    migrate_subscribers: bool = False
    proration_behavior: str = "create_prorations"
    impact: EntitlementImpact | None = None
    # The event name of the meter this plan replaces (or an earlier apply replaced) when that
    # is what forces this replacement: the old price bills against the old meter, and Stripe
    # cannot move a price to another meter. None when the price's own fields force it.
    follows_meter: str | None = None


@dataclass(frozen=True, kw_only=True)
class ArchivePrice(PriceChange):
    action: ClassVar[Action] = "archive"
    kind: ClassVar[Kind] = "price"
    price_id: str
    # True for the old price of a replacement an earlier apply did not finish (it lost its
    # lookup key to the new price but is still active): finishing that replacement is not a
    # new destructive change, so the safety rail does not count it.
    finishes_replacement: bool = False

    @property
    def key(self) -> str:
        # An orphan left by an interrupted replacement has no lookup key: its id identifies it.
        return f"price:{self.lookup_key}" if self.lookup_key else f"price:({self.price_id})"


@dataclass(frozen=True, kw_only=True)
class ObjectChange(Change):
    """A change to an account-level object (meter, coupon, promotion code, Entitlements
    feature, product feature); `object_key` is its identity (see `AccountObject`)."""

    object_kind: Kind
    object_key: str
    product_key: str = ""

    @property
    def kind(self) -> Kind:  # type: ignore[override]
        return self.object_kind

    @property
    def key(self) -> str:
        return f"{self.object_kind}:{self.object_key}"


@dataclass(frozen=True, kw_only=True)
class CreateObject(ObjectChange):
    action: ClassVar[Action] = "create"


@dataclass(frozen=True, kw_only=True)
class UpdateObject(ObjectChange):
    action: ClassVar[Action] = "update"
    object_id: str


@dataclass(frozen=True, kw_only=True)
class ReplaceObject(ObjectChange):
    """Stripe cannot change these fields in place: create a new object and retire the old
    one (deactivate a meter or promotion code; a coupon, which Stripe cannot archive, loses
    its plan key and stays redeemable)."""

    action: ClassVar[Action] = "replace"
    object_id: str


@dataclass(frozen=True, kw_only=True)
class ArchiveObject(ObjectChange):
    """Retire an object no plan declares (with --prune): deactivate, or detach a feature."""

    action: ClassVar[Action] = "archive"
    object_id: str
    owner_id: str = ""  # a product feature's product


@dataclass(frozen=True)
class Unmanaged:
    """A note about a Stripe object without the ownership marker: never changed unless
    adopted."""

    kind: Kind
    key: str
    stripe_id: str
    message: str


@dataclass(frozen=True)
class Notice:
    """A note about a managed object the plan leaves alone, and why (e.g. not declared and
    `--prune` not given)."""

    key: str
    stripe_id: str
    message: str


Note = Unmanaged | Notice


def field_changes(before: State | None, after: State | None) -> tuple[FieldChange, ...]:
    """The field-level differences between two normalized states, sorted by path. A whole
    mapping added or removed (a create's metadata) is listed key by key; absent or empty
    values on the other side (a create's `tiers: []`) are left out."""
    if before == after:
        return ()  # the common case on a synced catalog: skip deepdiff's full walk
    found: list[FieldChange] = []
    # threshold 0: always report key by key, even when two mappings share nothing.
    diff = DeepDiff(dict(before or {}), dict(after or {}), view="tree", threshold_to_diff_deeper=0)
    for items in diff.values():
        for item in items:
            path = item.path(output_format="list")
            head = [str(p) for p in path]
            # Whole lists (tiers) change as one field: index paths read badly and the tier
            # list is replaced as a unit anyway.
            if any(isinstance(p, int) for p in path):
                top = head[0]
                found.append(FieldChange(top, (before or {}).get(top), (after or {}).get(top)))
                continue
            found.extend(_expand(".".join(head), _present(item.t1), _present(item.t2)))
    unique = {f.path: f for f in found if not (_empty(f.before) and _empty(f.after))}
    return tuple(unique[p] for p in sorted(unique))


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def _expand(path: str, before: Any, after: Any) -> list[FieldChange]:
    if before is None and isinstance(after, Mapping):
        return [f for k, v in after.items() for f in _expand(f"{path}.{k}", None, v)]
    if after is None and isinstance(before, Mapping):
        return [f for k, v in before.items() for f in _expand(f"{path}.{k}", v, None)]
    return [FieldChange(path, before, after)]


def _present(value: Any) -> Any:
    # deepdiff marks a missing side with its NotPresent sentinel; the change model uses None.
    return None if type(value).__name__ == "NotPresent" else value


def changed_paths(fields: tuple[FieldChange, ...]) -> frozenset[str]:
    """The top-level names of the fields that differ (`metadata.x` -> `metadata`)."""
    return frozenset(f.path.split(".", 1)[0] for f in fields)


def as_dict(fields: tuple[FieldChange, ...]) -> list[dict[str, Any]]:
    return [{"path": f.path, "before": f.before, "after": f.after} for f in fields]


__all__ = [
    "ArchiveObject",
    "ArchivePrice",
    "ArchiveProduct",
    "Change",
    "CreateObject",
    "CreatePrice",
    "CreateProduct",
    "EntitlementImpact",
    "FieldChange",
    "Note",
    "Notice",
    "ObjectChange",
    "ReplaceObject",
    "ReplacePrice",
    "Unmanaged",
    "UpdateObject",
    "UpdatePrice",
    "UpdateProduct",
    "as_dict",
    "changed_paths",
    "field_changes",
]
