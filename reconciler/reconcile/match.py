"""Which live object each declared object names, and how it was found: the first pass of a diff.

In order, as each kind declares (`reconciler.kinds.rules`): the tool's own key (a product's
`plan-key`, a price's lookup key, a coupon's plan key, ...); for a kind found through its
children, the unmanaged parent of a live child holding a declared child's key; the key the
identity of an object made by hand gives it (`reconciler.stripe_catalog.identities`: the key
`import` writes); the id the files choose for it (a coupon's `id`); and last the shape
(`Rules.shape`: a product by its name, a price by the fields Stripe cannot change, among its
product's, a coupon by its name and those fields). Only objects the tool does not manage are
matched past the first step, and a shape that fits two objects is ambiguous: noted, never
guessed. An unmanaged match without `--adopt` is noted, and its children are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.kinds import KINDS
from reconciler.kinds.entries import Held, Wanted
from reconciler.kinds.identity import Source
from reconciler.reconcile.changes import Notice, Unmanaged
from reconciler.reconcile.state import replacement_reasons
from reconciler.reconcile.walk import Outcome, Walk, children_of, walk_order

ADOPT_HINT = "not managed by reconciler; --adopt takes it over"
DUPLICATE_HINT = (
    "so the plan adopts none and creates nothing: give the one to adopt the plan key in its "
    "metadata, or --allow-duplicates creates a new one"
)


@dataclass(frozen=True)
class Found:
    """The live object matched, and how (empty for the tool's own key)."""

    held: Held
    how: str = ""


@dataclass(frozen=True)
class Ambiguous:
    """Several unmanaged objects fit a declared one."""

    ids: tuple[str, ...]
    how: str


Match = Found | Ambiguous | None


def match_all(walk: Walk) -> None:
    """Match every declared object, kind by kind (parents first), recording the matches, the
    notes of ambiguous and unmanaged matches, and what is skipped."""
    for kind in walk_order():
        parent = KINDS[kind].rules.parent
        for wanted in walk.wanted_of(kind):
            slot = (kind, wanted.key)
            if parent is not None and (parent, str(wanted.parent)) in walk.skipped:
                walk.skipped.add(slot)
                continue
            _record(walk, wanted, _match(walk, wanted))


def _record(walk: Walk, wanted: Wanted, match: Match) -> None:
    slot = (wanted.kind, wanted.key)
    noun = KINDS[wanted.kind].rules.noun
    if isinstance(match, Ambiguous):
        if walk.options.allow_duplicates:
            return
        listed = ", ".join(match.ids)
        message = (
            f"{len(match.ids)} unmanaged {noun}s {match.how} ({listed}) could be this one, "
            f"{DUPLICATE_HINT}"
        )
        walk.notes.append(Notice(f"{wanted.kind}:{wanted.key}", match.ids[0], message))
        walk.skipped.add(slot)
        return
    if match is None:
        return
    held = match.held
    walk.taken.add(held.id)
    if not held.active and not KINDS[wanted.kind].rules.revived:
        # An archived object is not brought back: a new one takes over the key.
        walk.outcomes[slot] = Outcome(None, "inactive")
        return
    if not held.managed and not walk.options.adopt:
        hint = f"{ADOPT_HINT} (matched because {match.how})" if match.how else ADOPT_HINT
        walk.notes.append(Unmanaged(wanted.kind, wanted.key, held.id, hint))
        walk.skipped.add(slot)
        walk.taken.update(child.id for child in walk.children(held))
        return
    walk.matches[slot] = held
    walk.named[held.id] = wanted.key
    if match.how:
        walk.how[slot] = match.how


def _order(held: Held, oldest: bool) -> tuple[object, ...]:
    if oldest:
        return (not held.managed, held.created)
    return (not held.active, not held.managed, -held.created)


def _adoptable(walk: Walk, held: Held) -> bool:
    """Made by hand, and claimed by no key: not managed, not yet matched, and either keyless
    (a product without `plan-key`, a price without a lookup key) or an account-level object
    whose key its identity made (its own id, its name: not the tool's metadata) and that no
    declared object holds, since that one takes it by key."""
    if held.managed or held.id in walk.taken:
        return False
    if not held.key:
        return True
    identified = walk.identities.get(held.kind, held.id)
    if identified is None or identified.source is Source.PLAN_KEY:
        return False
    return all(w.key != held.key for w in walk.wanted_of(held.kind))


def _match(walk: Walk, wanted: Wanted) -> Match:
    rules = KINDS[wanted.kind].rules
    keyed = sorted(
        (h for h in walk.keyed(wanted.kind, wanted.key) if h.id not in walk.taken),
        key=lambda h: _order(h, rules.prefer_oldest),
    )
    if keyed:
        return Found(keyed[0])
    if rules.found_through_children:
        found = _through_children(walk, wanted)
        if found is not None:
            return found
    derived = next(
        (h for h in walk.made_by_hand(wanted.kind, wanted.key) if h.id not in walk.taken), None
    )
    if derived is not None:
        return Found(derived, _derived_how(wanted, derived))
    chosen = _chosen(walk, wanted)
    if chosen is not None:
        return Found(chosen, f"it has the id {chosen.id} the files choose for it")
    if rules.shape is None:
        return None
    hand_made = [h for h in walk.held_of(wanted.kind) if _adoptable(walk, h)]
    if rules.shape == "named_terms":
        name = wanted.state.get("name")
        alike = [
            h.id
            for h in hand_made
            if h.active == wanted.active
            and h.state.get("name") == name
            and not replacement_reasons(wanted.kind, h.state, wanted.state)
        ]
        called = f"named {name!r}" if name else "without a name"
        return _one(
            walk,
            alike,
            f"it is the only unmanaged {rules.noun} {called} with the same terms",
            f"{called} with the same terms",
        )
    if rules.shape == "name":
        named = [h.id for h in hand_made if h.active and h.name == wanted.name]
        return _one(
            walk,
            named,
            f"it is the only unmanaged {rules.noun} named {wanted.name!r}",
            f"named {wanted.name!r}",
        )
    if rules.shape == "terms":
        owner = walk.parent_of(wanted)
        if owner is None:
            return None
        parent = str(rules.parent)
        alike = [
            h.id
            for h in hand_made
            if h.parent_id == owner.id
            and h.active == wanted.active
            and not replacement_reasons(
                wanted.kind, {**h.state, parent: wanted.state.get(parent)}, wanted.state
            )
        ]
        owner_noun = KINDS[parent].rules.noun
        return _one(
            walk,
            alike,
            f"it is the only unmanaged {rules.noun} of its {owner_noun} with the same terms",
            f"of the {owner_noun} with the same terms",
        )
    return None


def _chosen(walk: Walk, wanted: Wanted) -> Held | None:
    """The object made by hand whose id the files choose for `wanted` (a coupon's `id`)."""
    held = walk.by_id.get(wanted.chosen_id) if wanted.chosen_id else None
    if held is None or held.kind != wanted.kind:
        return None
    return held if _adoptable(walk, held) else None


def _derived_how(wanted: Wanted, held: Held) -> str:
    shape = KINDS[wanted.kind].rules.shape
    if shape == "name":
        return f"its name {held.name!r} gives key {wanted.key}"
    if shape == "terms":
        owner = KINDS[str(KINDS[wanted.kind].rules.parent)].rules.noun
        return f"its {owner} and terms give key {wanted.key}"
    return f"its identity gives key {wanted.key}"


def _through_children(walk: Walk, wanted: Wanted) -> Found | None:
    """The unmanaged parent of a live child holding one of the declared children's keys."""
    for kind in children_of(wanted.kind):
        named = KINDS[kind].rules.json_identity or "key"
        for child in walk.declared_children(kind, wanted.key):
            for held in walk.keyed(kind, child.key):
                if held.parent_id is None:
                    continue
                owner = walk.by_id.get(held.parent_id)
                if owner is not None and _adoptable(walk, owner):
                    return Found(owner, f"it holds {named.replace('_', ' ')} {child.key}")
    return None


def _one(walk: Walk, candidates: Iterable[str], one: str, several: str) -> Match:
    found = tuple(candidates)
    if not found:
        return None
    if len(found) == 1:
        return Found(walk.by_id[found[0]], one)
    return Ambiguous(found, several)
