"""A plan: the sorted changes of one diff, its notes, the options it was made with, a
fingerprint over exactly what would be applied, and the octoDNS-style safety rail."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.reconcile.changes import (
    ArchiveObject,
    ArchivePrice,
    ArchiveProduct,
    Change,
    EntitlementImpact,
    Note,
    ObjectChange,
    ReplaceObject,
    ReplacePrice,
    UpdatePrice,
    UpdateProduct,
    as_dict,
)

# octoDNS's rail: refuse to archive or replace more than this share of the managed prices...
MAX_DESTRUCTIVE_SHARE = 0.30
# ...once there are at least this many (small catalogs change wholesale legitimately).
MIN_PRICES_FOR_RAIL = 10
ACTION_ORDER = {"create": 0, "update": 1, "replace": 2, "archive": 3}


@dataclass(frozen=True)
class DiffOptions:
    """What the user allowed: archiving undeclared objects, adopting unmanaged ones, moving
    subscribers of replaced prices. Part of the fingerprint: the reviewed plan must have been
    made with the same options as the applied one."""

    prune: bool = False
    adopt: bool = False
    migrate_subscribers: bool = False


def sort_key(change: Change) -> tuple[int, str, str, int]:
    return (
        {"product": 0, "price": 1}.get(change.kind, 2),
        change.product_key,
        change.key,
        ACTION_ORDER[change.action],
    )


def change_record(change: Change) -> dict[str, Any]:
    """The change as JSON: what is fingerprinted (impact and reason excluded) plus those two."""
    record = identity_record(change)
    impact = getattr(change, "impact", None)
    record["impact"] = impact_record(impact) if impact is not None else None
    record["reason"] = change.reason
    if isinstance(change, ReplacePrice):
        # Explains the replacement; apply does the same steps either way.
        record["follows_meter"] = change.follows_meter
    return record


def identity_record(change: Change) -> dict[str, Any]:
    """Everything apply acts on; subscriber counts and prose change over time and stay out."""
    record: dict[str, Any] = {
        "action": change.action,
        "kind": change.kind,
        "key": change.key,
        "product_key": change.product_key,
        "lookup_key": getattr(change, "lookup_key", None),
        "stripe_id": stripe_id(change),
        "product_id": getattr(change, "product_id", None),
        "before": change.before,
        "after": change.after,
        "fields": as_dict(change.fields),
    }
    if isinstance(change, ReplacePrice):
        record["moves_default"] = change.moves_default
        record["archive_old"] = change.archive_old
        record["migrate_subscribers"] = change.migrate_subscribers
        record["proration_behavior"] = change.proration_behavior
    return record


def stripe_id(change: Change) -> str | None:
    """The Stripe object a change acts on (the old price of a replacement); None for creates."""
    if isinstance(change, UpdateProduct | ArchiveProduct):
        return change.product_id
    if isinstance(change, UpdatePrice | ArchivePrice):
        return change.price_id
    if isinstance(change, ReplacePrice):
        return change.old_price_id
    if isinstance(change, ObjectChange):
        return getattr(change, "object_id", None)
    return None


def impact_record(impact: EntitlementImpact) -> dict[str, Any]:
    return {
        "subscriptions": impact.subscriptions,
        "gained": list(impact.gained),
        "lost": list(impact.lost),
        "changed": list(impact.changed),
    }


def fingerprint_of(changes: tuple[Change, ...], options: DiffOptions) -> str:
    """sha256 of a canonical JSON of the changes and options."""
    canonical = json.dumps(
        {
            "options": {
                "prune": options.prune,
                "adopt": options.adopt,
                "migrate_subscribers": options.migrate_subscribers,
            },
            "changes": [identity_record(c) for c in changes],
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Plan:
    """The changes that would bring Stripe to the plan files, sorted, with a fingerprint."""

    changes: tuple[Change, ...]
    notes: tuple[Note, ...] = ()
    options: DiffOptions = DiffOptions()
    # Active managed prices in Stripe holding a lookup key: the safety rail's base.
    managed_prices: int = 0
    # Active managed account-level objects by kind: each kind's own rail base.
    managed_objects: Mapping[str, int] = field(default_factory=dict)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.changes, key=sort_key))
        object.__setattr__(self, "changes", ordered)
        object.__setattr__(self, "notes", tuple(sorted(self.notes, key=_note_key)))
        object.__setattr__(self, "fingerprint", fingerprint_of(ordered, self.options))

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[str, int]:
        """How many changes of each action, every action present (zero included)."""
        out = dict.fromkeys(ACTION_ORDER, 0)
        for change in self.changes:
            out[change.action] += 1
        return out

    @property
    def destructive(self) -> int:
        """Managed prices this plan archives or replaces, not counting the old prices of
        replacements an interrupted apply left to finish (the reviewed run counted them)."""
        return sum(
            1
            for c in self.changes
            if isinstance(c, ReplacePrice)
            or (isinstance(c, ArchivePrice) and not c.finishes_replacement)
        )

    def safety_problem(self) -> str | None:
        """Why the rail refuses this plan without `--force`, or None when it passes. Prices
        and each account-level kind have their own rail."""
        rails = [(self.destructive, self.managed_prices, "prices")]
        for kind, base in self.managed_objects.items():
            touched = sum(
                1
                for c in self.changes
                if isinstance(c, ArchiveObject | ReplaceObject) and c.kind == kind
            )
            rails.append((touched, base, f"{kind.replace('_', ' ')}s"))
        for touched, base, noun in rails:
            if base >= MIN_PRICES_FOR_RAIL and touched > base * MAX_DESTRUCTIVE_SHARE:
                return (
                    f"this plan archives or replaces {touched} of {base} managed {noun} "
                    f"({touched / base:.0%}, more than {MAX_DESTRUCTIVE_SHARE:.0%}); "
                    "review it and use --force"
                )
        return None

    def with_changes(self, changes: tuple[Change, ...]) -> Plan:
        """The same plan with changes swapped (impact filled in); the fingerprint is unchanged
        because impact is not part of it."""
        return Plan(changes, self.notes, self.options, self.managed_prices, self.managed_objects)


def _note_key(note: Note) -> tuple[str, str, str]:
    return (type(note).__name__, note.key, note.stripe_id)
