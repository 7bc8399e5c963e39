"""What the plan does to each declared object, once matched: create it, leave it, update or
adopt it in place, or replace it (a field Stripe cannot change differs, or the object it
follows gets a new Stripe object). Every rule that differs per kind is read from the kind's
declaration (`reconciler.kinds.rules`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.kinds import KINDS
from reconciler.kinds.entries import Held, Wanted
from reconciler.kinds.field import dig
from reconciler.reconcile.changes import Action, Carried, Change, Notice, field_changes
from reconciler.reconcile.state import replacement_reasons
from reconciler.reconcile.walk import Outcome, Walk, children_of


def _group(walk: Walk, wanted: Wanted, held: Held | None) -> tuple[str, str | None]:
    """The product a change belongs to, and its Stripe id: a child's parent, a parent itself."""
    rules = KINDS[wanted.kind].rules
    if rules.parent is not None:
        if held is not None:
            return str(wanted.parent), held.parent_id
        owner = walk.parent_of(wanted)
        return str(wanted.parent), owner.id if owner is not None else None
    if children_of(wanted.kind):
        return wanted.key, held.id if held is not None else None
    return "", None


def decide(walk: Walk, wanted: Wanted) -> None:
    """Append what the plan does to one declared object (nothing when in sync)."""
    slot = (wanted.kind, wanted.key)
    if slot in walk.skipped:
        return
    rules = KINDS[wanted.kind].rules
    held = walk.matches.get(slot)
    after = dict(wanted.state)
    if held is None:
        group, group_id = _group(walk, wanted, None)
        walk.changes.append(
            Change(
                action="create",
                kind=wanted.kind,
                identity=wanted.key,
                group=group,
                group_id=group_id,
                after=after,
                fields=field_changes(None, after),
                chosen_id=wanted.chosen_id,
            )
        )
        return
    before, relisted = _relisted(walk, wanted, walk.before(held))
    fields = field_changes(before, after)
    followed = _follows(walk, wanted, held)
    if not fields and followed is None:
        walk.outcomes[slot] = Outcome(held.id, "")
        return
    forced = replacement_reasons(wanted.kind, before, after)
    if held.legacy and (forced or followed is not None):
        changed = ", ".join(f.path for f in fields)
        walk.notes.append(
            Notice(
                f"{wanted.kind}:{wanted.key}",
                held.id,
                f"a legacy {rules.noun} is read-only: reconciler never replaces it, so "
                f"{changed} stay as Stripe holds them",
            )
        )
        walk.outcomes[slot] = Outcome(held.id, "")
        return
    group, group_id = _group(walk, wanted, held)
    if forced or followed is not None:
        walk.outcomes[slot] = Outcome(None, "replaced")
        walk.changes.append(_replacement(walk, wanted, held, before, after, followed))
        return
    walk.outcomes[slot] = Outcome(held.id, "")
    action: Action = "update" if held.managed else "adopt"
    reasons = [_adopted(walk.how.get(slot, ""))] if not held.managed else []
    if relisted:
        reasons.append(relisted)
    walk.changes.append(
        Change(
            action=action,
            kind=wanted.kind,
            identity=wanted.key,
            group=group,
            group_id=group_id,
            stripe_id=held.id,
            before=before,
            after=after,
            fields=fields,
            reason="; ".join(reasons),
        )
    )


def _adopted(how: str) -> str:
    return f"adopt: matched because {how}" if how else "adopt"


def _replacement(
    walk: Walk,
    wanted: Wanted,
    held: Held,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    followed: tuple[str, str] | None,
) -> Change:
    """A new object for `wanted`: one that takes over the old one's key and roles (a kind
    whose replacement `transfer`s: a price), or one made as the kind's replacement says."""
    rules = KINDS[wanted.kind].rules
    group, _ = _group(walk, wanted, held)
    owner = walk.parent_of(wanted)
    carried: Carried | None = None
    group_id: str | None = None
    if rules.replacement == "transfer":
        reasons = [followed[1]] if followed is not None else []
        stays = _stays(walk, held, owner)
        if stays is not None:
            reasons.append(rules.stays_note.format(parent=stays))
        reason = "; ".join(reasons)
        carried = Carried(
            moves_default=_moves_role(walk, wanted, held, owner),
            archive_old=stays is None,
            migrate_subscribers=walk.options.migrate_subscribers,
            proration_behavior=str(wanted.carries.get("proration_behavior", "create_prorations")),
            follows_meter=followed[0] if followed is not None else None,
        )
        group_id = owner.id if owner is not None else None
    else:
        forced = KINDS[wanted.kind].forcing(before, after)
        reason = f"Stripe cannot change {', '.join(forced)} on a {rules.noun}"
        if rules.replacement_note:
            reason += ": " + rules.replacement_note.format(key=wanted.key)
        if followed is not None and not forced:
            reason = followed[1]
    return Change(
        action="replace",
        kind=wanted.kind,
        identity=wanted.key,
        group=group,
        stripe_id=held.id,
        group_id=group_id,
        before=before,
        after=after,
        fields=field_changes(before, after),
        reason=reason,
        carried=carried,
    )


def _roles(parent: Held | None, kind: str) -> list[str]:
    """The late fields of `parent` that refer to objects of `kind` (a default price)."""
    if parent is None:
        return []
    return [late.path for late in KINDS[parent.kind].rules.late if late.refers_to == kind]


def _moves_role(walk: Walk, wanted: Wanted, held: Held, owner: Held | None) -> bool:
    """True when the owner's late field names the old object and the declared parent names
    this key there: the role moves to the new object with the replacement."""
    parent = KINDS[wanted.kind].rules.parent
    declared = walk.declared_object(str(parent), str(wanted.parent))
    if owner is None or declared is None:
        return False
    return any(
        owner.state.get(path) == held.id and declared.state.get(path) == wanted.key
        for path in _roles(owner, wanted.kind)
    )


def _stays(walk: Walk, held: Held, owner: Held | None) -> str | None:
    """The key (or id) of the live parent whose late field keeps naming the old object after
    the apply, or None when that field moves or is unset first (Stripe refuses to archive an
    object such a field names). Only a parent no plan declares, left alone without --prune,
    keeps it."""
    holder = walk.by_id.get(held.parent_id or "")
    if holder is None or not any(holder.state.get(p) == held.id for p in _roles(holder, held.kind)):
        return None
    if owner is not None and holder.id == owner.id:
        return None
    if holder.key and walk.declared(holder.kind, holder.key):
        return None
    if walk.options.prune and holder.managed:
        return None
    return holder.key or holder.id


def _follows(walk: Walk, wanted: Wanted, held: Held) -> tuple[str, str] | None:
    """(the followed key, why) when the object `held` follows gets a new Stripe object in this
    plan (or got one earlier, for a kind that follows by id); None otherwise."""
    rules = KINDS[wanted.kind].rules
    if rules.follows is None or wanted.follows is None or not wanted.active:
        return None
    outcome = walk.outcomes.get((rules.follows, wanted.follows))
    if outcome is None:
        return None
    if rules.follow_by == "key":
        if outcome.renewal != "replaced":
            return None
        return wanted.follows, rules.follow_notes["replaced"].format(key=wanted.follows)
    if held.follows_id is None or held.follows_key != wanted.follows:
        return None  # another followed object: the object's own fields force a new one
    if outcome.kept_id == held.follows_id:
        return None
    renewal = outcome.renewal or "moved"
    note = rules.follow_notes[renewal].format(
        key=wanted.follows, kept=outcome.kept_id, held=held.follows_id
    )
    return wanted.follows, note


def stranded(walk: Walk, held: Held) -> str | None:
    """Why a kept object no plan declares bills against the wrong object after this plan (a
    price on a meter whose event name a new meter takes over), or None."""
    rules = KINDS[held.kind].rules
    if rules.follows is None or held.follows_id is None or held.follows_key is None:
        return None
    outcome = walk.outcomes.get((rules.follows, held.follows_key))
    if outcome is None or outcome.kept_id == held.follows_id:
        return None
    return rules.stranded_note.format(held=held.follows_id, key=held.follows_key)


def _relisted(walk: Walk, wanted: Wanted, state: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A live state whose list of objects this plan replaces (`Rules.lists`) names each by its
    old id, which is what Stripe holds and the apply swaps for the new object; and the reason
    that says so ("" when nothing is relisted)."""
    path = KINDS[wanted.kind].rules.lists
    listed = dig(state, path) if path else None
    if not isinstance(listed, Mapping):
        return state, ""
    renewed = {
        c.identity: str(c.stripe_id)
        for c in walk.changes
        if c.action == "replace" and c.carried is not None
    }
    keys = sorted({k for items in listed.values() for k in items if k in renewed})
    if not keys:
        return state, ""
    named = {p: sorted(renewed.get(k, k) for k in items) for p, items in listed.items()}
    head, _, rest = path.partition(".")
    state = {**state, head: _put(state[head], rest, named)}
    kinds = {c.kind for c in walk.changes if c.identity in keys and c.carried is not None}
    noun = KINDS[min(kinds)].rules.noun if kinds else "object"
    many = len(keys) > 1
    reason = (
        f"it lists {noun}{'s' if many else ''} {', '.join(keys)}, which this plan replaces: "
        f"it is to list the new {noun}{'s' if many else ''}"
    )
    return state, reason


def _put(value: Mapping[str, Any], path: str, new: Any) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    inner = new if not rest else _put(value[head], rest, new)
    return {**value, head: inner}
