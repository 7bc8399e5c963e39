"""The pure diff: desired catalog + live catalog + options -> a Plan of change values.

One engine for every kind: the declared objects (`plans/entries.py`) and the live ones
(`stripe_catalog/entries.py`) are matched (`match.py`: the tool's own key, the identity of an
object made by hand, its shape), then, kind by kind in the order their objects are created,
each declared object is decided (`decide.py`: create, adopt, update or replace) and each live
object no plan declares is handled (`undeclared.py`). Objects without the ownership marker are
only noted unless `--adopt` adopts them; undeclared managed objects are retired only with
`--prune`. What differs per kind is read from its declaration (`reconciler.kinds.rules`).
"""

from __future__ import annotations

import functools

from reconciler.kinds import KINDS
from reconciler.model import Catalog, Config
from reconciler.plans.entries import wanted_objects
from reconciler.reconcile.decide import decide
from reconciler.reconcile.match import match_all
from reconciler.reconcile.plan import DiffOptions, Plan
from reconciler.reconcile.undeclared import undeclared_of
from reconciler.reconcile.walk import Walk, walk_order
from reconciler.stripe_catalog.entries import held_objects
from reconciler.stripe_catalog.identities import identities
from reconciler.stripe_catalog.live import LiveCatalog


def diff(
    desired: Catalog, live: LiveCatalog, options: DiffOptions, config: Config | None = None
) -> Plan:
    """Every change that brings `live` to `desired`; no I/O."""
    ids = functools.cache(lambda: identities(live))
    walk = Walk(wanted_objects(desired, config or Config()), held_objects(live, ids), options, ids)
    match_all(walk)
    for kind in walk_order():
        for wanted in walk.wanted_of(kind):
            decide(walk, wanted)
        undeclared_of(walk, kind)
    return Plan(tuple(walk.changes), tuple(walk.notes), options, rail_bases(walk))


def rail_bases(walk: Walk) -> dict[str, int]:
    """The safety rail's base per railed kind: its active managed objects holding a key (an
    interrupted replacement's old object, which gave its key away, does not count: after a
    kill mid-replacement both objects of each pair are active, which must not make the rerun
    look larger)."""
    bases: dict[str, int] = {}
    for held in walk.held:
        if KINDS[held.kind].rules.railed and held.managed and held.active and held.key:
            bases[held.kind] = bases.get(held.kind, 0) + 1
    return dict(sorted(bases.items()))
