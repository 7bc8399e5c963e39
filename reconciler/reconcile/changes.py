"""Change values: what a plan would do to one Stripe object, with no presentation code.

Every change has an action (Terraform's symbols: create, update, replace, archive; and adopt,
which writes the tool's identity onto an object made by hand), a kind, a stable key, the
normalized state before and after, and the fields that differ. Before/after states are plain
JSON values (see `reconciler.reconcile.state`), so a plan serializes, fingerprints and applies
from the same data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from deepdiff import DeepDiff

Action = Literal["create", "update", "replace", "archive", "adopt"]
Kind = str  # a registered kind's name (`reconciler.kinds.KINDS`)
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


@dataclass(frozen=True)
class Carried:
    """What a replacement carries over from the old object besides its identity (a kind whose
    replacement `transfer`s it: a price's default-price role and subscribers), and whether the
    old one is archived after."""

    moves_default: bool = False
    # False when the old price is the default of a product no plan declares (left alone
    # without --prune): Stripe refuses to archive it, so it stays active without its lookup key.
    archive_old: bool = True
    migrate_subscribers: bool = False
    proration_behavior: str = "create_prorations"
    # The event name of the meter this plan replaces (or an earlier apply replaced) when that
    # is what forces this replacement (Stripe cannot move a price to another meter); None when
    # the object's own fields force it.
    follows_meter: str | None = None


@dataclass(frozen=True, kw_only=True)
class Change:
    """One change to one Stripe object, for every kind: its action, kind and identity (the
    product key, lookup key, event name, code, ...; "" for an object that lost it), the
    product it belongs to (`group`: a product's own key, a price's product, "" for
    account-level objects), the Stripe object it acts on (the old one of a replacement), the
    normalized states before and after and the fields that differ. What differs per kind is in
    the kind's declaration (`reconciler.kinds.rules`), never here."""

    action: Action
    kind: Kind
    identity: str
    group: str = ""
    stripe_id: str | None = None
    # The Stripe id of the product it belongs to (a price's product; a product's own id), when
    # it exists already (None when this plan creates it: apply uses the id it just got).
    group_id: str | None = None
    # The object it hangs from, where Stripe names it in the call (a product feature's product).
    owner_id: str = ""
    before: State | None = None
    after: State | None = None
    fields: tuple[FieldChange, ...] = ()
    reason: str = ""  # for display only; decisions never read it
    impact: EntitlementImpact | None = None
    carried: Carried | None = None
    # The id the plan files choose for the object a create makes (a coupon's own `id`), where
    # Stripe lets the user choose it; None: Stripe chooses.
    chosen_id: str | None = None
    # True for the old object of a replacement an earlier apply did not finish (it lost its
    # identity to the new one but is still active): finishing it is not a new destructive
    # change, so the safety rail does not count it.
    finishes_replacement: bool = False

    @property
    def key(self) -> str:
        """The stable label shown to users and used to sort and fingerprint: `kind:identity`,
        or `kind:(stripe id)` for an object without one."""
        return f"{self.kind}:{self.identity or f'({self.stripe_id})'}"


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
    "Action",
    "Carried",
    "Change",
    "EntitlementImpact",
    "FieldChange",
    "Note",
    "Notice",
    "Unmanaged",
    "as_dict",
    "changed_paths",
    "field_changes",
]
