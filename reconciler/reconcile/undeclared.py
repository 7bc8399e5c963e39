"""Live objects no plan declares: retired with `--prune` where the kind can be (or always, for
the old object an interrupted replacement left holding no key), otherwise noted; unmanaged
ones are only ever noted, and only where they sit among the tool's (a product made by hand, or
an unmanaged price of a managed product). A parent kept keeps its children; a parent archived
archives its children after its late fields (a default price) are unset.
"""

from __future__ import annotations

from reconciler.kinds import KINDS
from reconciler.kinds.entries import Held
from reconciler.reconcile.changes import Change, Notice, Unmanaged, field_changes
from reconciler.reconcile.decide import stranded
from reconciler.reconcile.walk import Walk, children_of


def undeclared_of(walk: Walk, kind: str) -> None:
    """Handle every live object of `kind` no declared object matched."""
    for held in walk.held_of(kind):
        if held.id not in walk.taken:
            walk.taken.add(held.id)
            undeclared(walk, held)


def _shown(held: Held) -> str:
    return held.key or f"({held.id})"


def undeclared(walk: Walk, held: Held) -> None:
    rules = KINDS[held.kind].rules
    parent = walk.by_id.get(held.parent_id or "")
    kids = children_of(held.kind)
    if not held.managed:
        if held.active and kids:
            count = sum(1 for child in walk.children(held) if child.active)
            nouns = "/".join(f"{KINDS[k].rules.noun}(s)" for k in kids)
            message = f"not managed by reconciler ({count} active {nouns})"
            walk.notes.append(Unmanaged(held.kind, _shown(held), held.id, message))
        elif held.active and parent is not None and parent.managed:
            message = "not managed by reconciler"
            walk.notes.append(Unmanaged(held.kind, _shown(held), held.id, message))
        return
    if not held.active:
        return
    label = f"{held.kind}:{_shown(held)}"
    if held.legacy:
        why = f"not declared; a legacy {rules.noun} is read-only: reconciler never archives it"
        walk.notes.append(Notice(label, held.id, why))
        return
    if not rules.prunable:
        walk.notes.append(Notice(label, held.id, f"not declared; {rules.kept_because}"))
        return
    if held.is_default:
        # The default configuration is the one every portal session uses unless told
        # otherwise (docs.stripe.com/api/customer_portal/configurations/object, `is_default`);
        # the docs do not say Stripe refuses to deactivate it, and the tool never tries.
        why = "the account's default configuration, which every portal session uses; never retired"
        walk.notes.append(Notice(label, held.id, f"not declared; {why}"))
        return
    # The old object of a replacement an earlier apply did not finish: it gave its key to
    # the new one and is still active.
    orphan = rules.replacement == "transfer" and not held.key
    if not (walk.options.prune or orphan):
        verb = "archives" if rules.retire == "archive" else "retires"
        why = f"not declared; --prune {verb} it"
        note = stranded(walk, held)
        if note is not None:
            why += f"; {note}"
        walk.notes.append(Notice(label, held.id, why))
        walk.taken.update(child.id for child in walk.children(held))
        return
    _retire(walk, held, parent, orphan)


def _retire(walk: Walk, held: Held, parent: Held | None, orphan: bool) -> None:
    rules = KINDS[held.kind].rules
    before = walk.before(held)
    after = {**before, "active": False} if rules.retire != "detach" else {}
    for late in rules.late:
        if late.refers_to is not None and after:
            after[late.path] = None  # unset first, so each object it names can be archived
    if rules.parent is not None:
        group = parent.key if parent is not None and parent.key else str(held.parent_id)
        identity, group_id = held.key, held.parent_id
    elif children_of(held.kind):
        identity = group = _shown(held)
        group_id = held.id
    else:
        identity, group, group_id = held.key, "", None
    walk.changes.append(
        Change(
            action="archive",
            kind=held.kind,
            identity=identity,
            group=group,
            group_id=group_id,
            stripe_id=held.id,
            owner_id=held.owner_id,
            before=before,
            after=after,
            fields=field_changes(before, after),
            reason="left active by an interrupted replacement" if orphan else "not declared",
            finishes_replacement=orphan,
        )
    )
    for child in walk.children(held):
        if child.id not in walk.taken:
            walk.taken.add(child.id)
            undeclared(walk, child)
