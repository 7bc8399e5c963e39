"""A plan: the sorted changes of one diff, its notes, the options it was made with, a
fingerprint over exactly what would be applied, and the octoDNS-style safety rail."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.kinds import KINDS
from reconciler.reconcile.changes import Change, EntitlementImpact, Note, as_dict

# octoDNS's rail: refuse to archive or replace more than this share of the managed prices...
MAX_DESTRUCTIVE_SHARE = 0.30
# ...once there are at least this many (small catalogs change wholesale legitimately).
MIN_PRICES_FOR_RAIL = 10
ACTION_ORDER = {"create": 0, "update": 1, "replace": 2, "archive": 3, "adopt": 4}
# Counted in every summary; `adopt` only in plans that adopt (the summary of a plan without
# adoptions reads as it always has).
SUMMARY_ACTIONS = ("create", "update", "replace", "archive")


@dataclass(frozen=True)
class DiffOptions:
    """What the user allowed: archiving undeclared objects, adopting unmanaged ones, moving
    subscribers of replaced prices. Part of the fingerprint: the reviewed plan must have been
    made with the same options as the applied one."""

    prune: bool = False
    adopt: bool = False
    migrate_subscribers: bool = False
    # Create a declared object even where several unmanaged objects could be it.
    allow_duplicates: bool = False

    def record(self) -> dict[str, bool]:
        """The options as the plan JSON and the fingerprint hold them (`allow_duplicates` only
        when given, so plans made without it keep their fingerprints)."""
        record = {
            "prune": self.prune,
            "adopt": self.adopt,
            "migrate_subscribers": self.migrate_subscribers,
        }
        if self.allow_duplicates:
            record["allow_duplicates"] = True
        return record


def sort_key(change: Change) -> tuple[int, str, str, int]:
    return (
        KINDS[change.kind].rules.rank,
        change.group,
        change.key,
        ACTION_ORDER[change.action],
    )


def change_record(change: Change) -> dict[str, Any]:
    """The change as JSON: what is fingerprinted (impact and reason excluded) plus those two."""
    record = identity_record(change)
    impact = change.impact
    record["impact"] = impact_record(impact) if impact is not None else None
    record["reason"] = change.reason
    if change.carried is not None:
        # Explains the replacement; apply does the same steps either way.
        record["follows_meter"] = change.carried.follows_meter
    return record


def identity_record(change: Change) -> dict[str, Any]:
    """Everything apply acts on; subscriber counts and prose change over time and stay out."""
    named = KINDS[change.kind].rules.json_identity
    record: dict[str, Any] = {
        "action": change.action,
        "kind": change.kind,
        "key": change.key,
        "product_key": change.group,
        "lookup_key": change.identity if named == "lookup_key" else None,
        "stripe_id": change.stripe_id,
        "product_id": change.group_id,
        "before": change.before,
        "after": change.after,
        "fields": as_dict(change.fields),
    }
    if change.chosen_id is not None:
        record["chosen_id"] = change.chosen_id
    carried = change.carried
    if carried is not None:
        record["moves_default"] = carried.moves_default
        record["archive_old"] = carried.archive_old
        record["migrate_subscribers"] = carried.migrate_subscribers
        record["proration_behavior"] = carried.proration_behavior
    return record


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
            "options": options.record(),
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
    # Active managed objects by kind (prices: those holding a lookup key): each railed kind's
    # safety-rail base.
    managed: Mapping[str, int] = field(default_factory=dict)
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
        """How many changes of each action, every action present (zero included); `adopt`
        only when the plan adopts."""
        out = dict.fromkeys(SUMMARY_ACTIONS, 0)
        for change in self.changes:
            out[change.action] = out.get(change.action, 0) + 1
        return out

    def adoptions(self) -> dict[str, int]:
        """How many objects of each kind the plan adopts, in plan order of kinds."""
        out: dict[str, int] = {}
        for change in self.changes:
            if change.action == "adopt":
                out[change.kind] = out.get(change.kind, 0) + 1
        return out

    def destructive_of(self, kind: str) -> int:
        """Managed objects of `kind` this plan archives or replaces, not counting the old
        objects of replacements an interrupted apply left to finish (the reviewed run counted
        them)."""
        return sum(
            1
            for c in self.changes
            if c.kind == kind
            and (c.action == "replace" or (c.action == "archive" and not c.finishes_replacement))
        )

    @property
    def managed_prices(self) -> int:
        """The first rail's base (the first railed kind in plan order: prices), which plan
        JSON schema 1 publishes as `safety.managed_prices`."""
        return self.managed.get(_first_rail(), 0)

    @property
    def destructive(self) -> int:
        """What the plan archives or replaces of the first railed kind (schema 1:
        `safety.archived_or_replaced`)."""
        return self.destructive_of(_first_rail())

    def safety_problem(self) -> str | None:
        """Why the rail refuses this plan without `--force`, or None when it passes. Each
        railed kind has its own rail, checked in plan order."""
        railed = sorted((k for k in KINDS if KINDS[k].rules.railed), key=_rail_order)
        for kind in railed:
            touched, base = self.destructive_of(kind), self.managed.get(kind, 0)
            if base >= MIN_PRICES_FOR_RAIL and touched > base * MAX_DESTRUCTIVE_SHARE:
                noun = KINDS[kind].rules.noun
                return (
                    f"this plan archives or replaces {touched} of {base} managed {noun}s "
                    f"({touched / base:.0%}, more than {MAX_DESTRUCTIVE_SHARE:.0%}); "
                    "review it and use --force"
                )
        return None

    def with_changes(self, changes: tuple[Change, ...]) -> Plan:
        """The same plan with changes swapped (impact filled in); the fingerprint is unchanged
        because impact is not part of it."""
        return Plan(changes, self.notes, self.options, self.managed)


def _first_rail() -> str:
    return min((k for k in KINDS if KINDS[k].rules.railed), key=_rail_order)


def _rail_order(kind: str) -> tuple[int, str]:
    return (KINDS[kind].rules.rank, kind)


def _note_key(note: Note) -> tuple[str, str, str]:
    return (type(note).__name__, note.key, note.stripe_id)
