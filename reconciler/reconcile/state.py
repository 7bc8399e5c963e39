"""States compared by the diff are plain JSON values (`plans/entries.py` makes the declared
ones, `stripe_catalog/entries.py` the live ones); what a difference between two of them means
for the object, by its kind's declaration.
"""

from __future__ import annotations

from reconciler.kinds import KINDS
from reconciler.reconcile.changes import State


def replacement_reasons(kind: str, before: State, after: State) -> tuple[str, ...]:
    """The differing fields that need a new object: another parent (a price moved to another
    product), or a field the kind's declaration says Stripe cannot change in place (in that
    change's direction)."""
    parent = KINDS[kind].rules.parent
    moved = (parent,) if parent and before.get(parent) != after.get(parent) else ()
    return tuple(sorted((*moved, *KINDS[kind].forcing(before, after))))
