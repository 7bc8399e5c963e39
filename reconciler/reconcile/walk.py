"""What one diff knows while it walks the catalog: the declared and live objects of every kind,
what matched what, what the plan does to each key, and the changes and notes so far; and how
a live state names the objects it refers to, as the plan files do.

Kinds are walked in the order their objects are created in (`Rules.create_phase`, then
`Rules.rank`): a parent before its children (products before prices), a followed kind before
its followers (meters before prices, coupons before promotion codes), and the objects a kind
lists before it (prices before the portal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.kinds import KINDS
from reconciler.kinds.entries import Held, Wanted
from reconciler.kinds.identity import Identities
from reconciler.reconcile.changes import Change, Note
from reconciler.reconcile.plan import DiffOptions

Renewal = Literal["", "replaced", "inactive"]
Slot = tuple[str, str]  # (kind, key) of a declared object


@dataclass(frozen=True)
class Outcome:
    """What the plan does to a declared object that holds a live one: the live id that stays
    (None when a new object takes over the key) and why not ("replaced", "inactive")."""

    kept_id: str | None
    renewal: Renewal


def walk_order() -> tuple[str, ...]:
    return tuple(sorted(KINDS, key=lambda k: (KINDS[k].rules.create_phase, KINDS[k].rules.rank, k)))


def children_of(kind: str) -> tuple[str, ...]:
    """The kinds whose objects belong to an object of `kind` (`Rules.parent`)."""
    return tuple(sorted(k for k in KINDS if KINDS[k].rules.parent == kind))


@dataclass
class Walk:
    """The state of one diff: inputs indexed, matches, and what was decided."""

    wanted: tuple[Wanted, ...]
    held: tuple[Held, ...]
    options: DiffOptions
    # Every live object's identity, computed on first use: only objects made by hand need it,
    # and a catalog the tool made holds none.
    resolve_identities: Callable[[], Identities]
    changes: list[Change] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # Declared (kind, key) -> the live object it names.
    matches: dict[Slot, Held] = field(default_factory=dict)
    # Declared (kind, key) -> how it was found, when not by the tool's own key.
    how: dict[Slot, str] = field(default_factory=dict)
    # Live ids matched to a declared object, or handled (a noted object's children).
    taken: set[str] = field(default_factory=set)
    # Declared objects neither changed nor created: ambiguous, or unmanaged without --adopt
    # (their children too).
    skipped: set[Slot] = field(default_factory=set)
    # Live id -> the key of the declared object matched to it.
    named: dict[str, str] = field(default_factory=dict)
    outcomes: dict[Slot, Outcome] = field(default_factory=dict)
    # Indexes built once: a diff of 1,000 prices looks these up per object.
    by_id: dict[str, Held] = field(default_factory=dict)
    _held: dict[str, list[Held]] = field(default_factory=dict)
    _wanted: dict[str, list[Wanted]] = field(default_factory=dict)
    _slots: dict[Slot, Wanted] = field(default_factory=dict)
    _declared_children: dict[Slot, list[Wanted]] = field(default_factory=dict)
    _keyed: dict[Slot, list[Held]] = field(default_factory=dict)
    _children: dict[str, list[Held]] = field(default_factory=dict)
    _names: dict[str, str] | None = None
    _by_identity: dict[str, dict[str, list[Held]]] = field(default_factory=dict)
    _identities: Identities | None = None

    def __post_init__(self) -> None:
        for held in self.held:
            self.by_id[held.id] = held
            self._held.setdefault(held.kind, []).append(held)
            if held.key:
                self._keyed.setdefault((held.kind, held.key), []).append(held)
            if held.parent_id is not None:
                self._children.setdefault(held.parent_id, []).append(held)
        for wanted in self.wanted:
            self._wanted.setdefault(wanted.kind, []).append(wanted)
            self._slots[(wanted.kind, wanted.key)] = wanted
            if wanted.parent is not None:
                self._declared_children.setdefault((wanted.kind, wanted.parent), []).append(wanted)

    @property
    def identities(self) -> Identities:
        if self._identities is None:
            self._identities = self.resolve_identities()
        return self._identities

    def wanted_of(self, kind: str) -> tuple[Wanted, ...]:
        return tuple(self._wanted.get(kind, ()))

    def held_of(self, kind: str) -> tuple[Held, ...]:
        return tuple(self._held.get(kind, ()))

    def keyed(self, kind: str, key: str) -> tuple[Held, ...]:
        """The live objects of `kind` holding `key` as their own."""
        return tuple(self._keyed.get((kind, key), ()))

    def made_by_hand(self, kind: str, key: str) -> tuple[Held, ...]:
        """The live objects of `kind` made by hand (neither managed nor keyed) whose identity
        gives them `key`, in live order."""
        if kind not in self._by_identity:
            index: dict[str, list[Held]] = {}
            for held in self._held.get(kind, ()):
                found = None if held.managed or held.key else self.identities.get(kind, held.id)
                if found is not None:
                    index.setdefault(found.key, []).append(held)
            self._by_identity[kind] = index
        return tuple(self._by_identity[kind].get(key, ()))

    def children(self, held: Held) -> tuple[Held, ...]:
        kinds = children_of(held.kind)
        return tuple(h for h in self._children.get(held.id, ()) if h.kind in kinds)

    def declared(self, kind: str, key: str) -> bool:
        return (kind, key) in self._slots

    def declared_children(self, kind: str, parent: str) -> tuple[Wanted, ...]:
        """The declared objects of `kind` that belong to the declared object keyed `parent`."""
        return tuple(self._declared_children.get((kind, parent), ()))

    def declared_object(self, kind: str, key: str) -> Wanted | None:
        return self._slots.get((kind, key))

    def parent_of(self, wanted: Wanted) -> Held | None:
        """The live object the declared object's parent holds (None: a new one, or none)."""
        parent = KINDS[wanted.kind].rules.parent
        if parent is None or wanted.parent is None:
            return None
        return self.matches.get((parent, wanted.parent))

    # Naming: live states refer to objects by Stripe id; plans by key.

    def key_of(self, held: Held) -> str | None:
        """The key the plan files call a live object: the declared key matched to it, its own
        key, or for one made by hand the key its identity gives it."""
        if held.id in self.named:
            return self.named[held.id]
        if held.key:
            return held.key
        found = self.identities.get(held.kind, held.id) if not held.managed else None
        return found.key if found is not None else None

    def parent_name(self, parent_id: str | None) -> str | None:
        if parent_id is None:
            return None
        held = self.by_id.get(parent_id)
        if held is None:
            return parent_id
        return self.named.get(held.id) or held.key or parent_id

    def reference_name(self, object_id: str | None) -> str | None:
        if object_id is None:
            return None
        held = self.by_id.get(object_id)
        name = self.key_of(held) if held is not None else None
        return name or f"({object_id})"

    def before(self, held: Held) -> dict[str, Any]:
        """A live object's state as the plan files would spell it: its parent and the objects
        its late fields refer to named by key; for the other kinds, references to products and
        prices made by hand named by the keys their identities give them."""
        rules = KINDS[held.kind].rules
        state = dict(held.state)
        if rules.parent is not None:
            state[rules.parent] = self.parent_name(held.parent_id)
        for late in rules.late:
            if late.refers_to is not None:
                state[late.path] = self.reference_name(state.get(late.path))
        if rules.parent is None and not rules.late:
            state = _renamed(state, self.hand_made())
        return state

    def hand_made(self) -> Mapping[str, str]:
        """Live id -> key, of every object with children or a parent that has no key of its
        own (other kinds' states name those by id). Read once matching is done."""
        if self._names is None:
            self._names = {}
            for held in self.held:
                rules = KINDS[held.kind].rules
                if held.key or not (rules.parent is not None or children_of(held.kind)):
                    continue
                name = self.key_of(held)
                if name is not None:
                    self._names[held.id] = name
        return self._names


def _renamed(value: Any, renamed: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return renamed.get(value, value)
    if isinstance(value, list):
        return [_renamed(v, renamed) for v in value]
    if isinstance(value, dict):
        return {renamed.get(k, k): _renamed(v, renamed) for k, v in value.items()}
    return value
