"""The pure diff of account-level objects: declared objects + live objects -> change values.

Every kind follows the product and price rules: an object is matched by its identity (see
`AccountObject`), an unmanaged match is only noted unless `--adopt` takes it over, a field
Stripe cannot change in place plans a replacement (with the fields that force it), and a
managed object no plan declares is retired only with `--prune` (never deleted). Two kinds
bend a rule because Stripe does: a meter has no metadata, so its declared event name is its
ownership and an undeclared meter is only noted; a coupon cannot be archived, so an undeclared
one is only noted and a replaced one loses its plan key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.kinds import KINDS
from reconciler.metadata import MANAGED_BY_KEY, MANAGED_BY_VALUE, PRODUCT_KEY_KEY
from reconciler.model import AccountObject, Catalog
from reconciler.reconcile.changes import (
    ArchiveObject,
    CreateObject,
    Kind,
    Notice,
    ReplaceObject,
    ReplacePrice,
    Unmanaged,
    UpdateObject,
    field_changes,
)
from reconciler.reconcile.plan import DiffOptions
from reconciler.reconcile.undeclared import Collector
from reconciler.stripe_catalog.live import LiveCatalog, LiveObject

# Diff order; apply orders by phase.
OBJECT_KINDS: tuple[Kind, ...] = (
    "meter",
    "feature",
    "product_feature",
    "coupon",
    "promotion_code",
    "portal_configuration",
)
# Kinds whose objects carry metadata (the ownership marker among it).
WITH_METADATA = frozenset({"coupon", "promotion_code", "feature", "portal_configuration"})
# Kinds --prune retires: meters are noted (no marker proves they are ours), coupons too (Stripe
# has no archive for them; reconciler never deletes).
RETIRABLE = frozenset({"promotion_code", "feature", "product_feature", "portal_configuration"})
ADOPT_HINT = "not managed by reconciler; --adopt takes it over"


def desired_state(obj: AccountObject) -> dict[str, Any]:
    """What the plan pushes for one object: its terms, and metadata with the markers."""
    state = dict(obj.terms)
    if obj.kind in WITH_METADATA:
        metadata = {**obj.metadata, MANAGED_BY_KEY: MANAGED_BY_VALUE}
        if obj.kind == "coupon":
            metadata[PRODUCT_KEY_KEY] = obj.key
        state["metadata"] = dict(sorted(metadata.items()))
    return state


def live_state(obj: LiveObject) -> dict[str, Any]:
    state = dict(obj.terms)
    if obj.metadata is not None:
        state["metadata"] = dict(sorted(obj.metadata.items()))
    return state


def match_live(key: str, candidates: Mapping[str, list[LiveObject]]) -> LiveObject | None:
    """The live object for a declared key: active before inactive, managed first, newest."""
    found = sorted(candidates.get(key, ()), key=lambda o: (not o.active, not o.managed, -o.created))
    return found[0] if found else None


def diff_objects(desired: Catalog, live: LiveCatalog, options: DiffOptions, out: Collector) -> None:
    """Append the changes and notes of every account-level kind to `out`."""
    replaced: set[str] = set()  # coupons this plan replaces: their codes move with them
    # Prices this plan replaces (lookup key -> old id): the portal must name the new ones.
    renewed = {c.lookup_key: c.old_price_id for c in out.changes if isinstance(c, ReplacePrice)}
    for kind in OBJECT_KINDS:
        candidates: dict[str, list[LiveObject]] = {}
        for held in live.objects_of(kind):
            candidates.setdefault(held.key, []).append(held)
        matched: set[str] = set()
        for declared in desired.objects_of(kind):
            current = match_live(declared.key, candidates)
            if current is not None and not current.active and kind != "meter":
                current = None  # an archived object is not brought back: a new one is made
            _diff_one(declared, current, options, out, replaced, renewed)
            if current is not None:
                matched.add(current.id)
        for held in live.objects_of(kind):
            if held.id not in matched and held.active:
                _undeclared(held, options, out)


def _diff_one(
    obj: AccountObject,
    current: LiveObject | None,
    options: DiffOptions,
    out: Collector,
    replaced: set[str],
    renewed: Mapping[str, str],
) -> None:
    kind: Any = obj.kind
    after = desired_state(obj)
    if current is None or (kind == "meter" and not current.active):
        change = CreateObject(
            object_kind=kind, object_key=obj.key, after=after, fields=field_changes(None, after)
        )
        out.changes.append(change)
        return
    if not current.managed and not options.adopt:
        out.notes.append(Unmanaged(kind, obj.key, current.id, ADOPT_HINT))
        return
    before, relisted = _old_prices_named(live_state(current), renewed)
    fields = field_changes(before, after)
    forced = KINDS[kind].forcing(before, after)
    moving = kind == "promotion_code" and obj.terms["coupon"] in replaced
    if not fields and not moving:
        return
    if forced or moving:
        reason = f"Stripe cannot change {', '.join(forced)} on a {kind.replace('_', ' ')}"
        if kind == "meter":
            reason += f": a new meter takes over event name {obj.key}; the old one is deactivated"
        elif kind == "coupon":
            replaced.add(obj.key)
            reason += ": the new coupon takes over the plan key; the old one stays redeemable"
        if moving and not forced:
            reason = f"its coupon {obj.terms['coupon']} is replaced, and a code keeps its coupon"
        out.changes.append(
            ReplaceObject(
                object_kind=kind,
                object_key=obj.key,
                object_id=current.id,
                before=before,
                after=after,
                fields=fields,
                reason=reason,
            )
        )
        return
    reason = "" if current.managed else "adopt"
    if relisted:
        noun = "price" if len(relisted) == 1 else "prices"
        listed = f"it lists {noun} {', '.join(relisted)}, which this plan replaces: it is to list "
        listed += "the new price" if len(relisted) == 1 else "the new prices"
        reason = "; ".join(r for r in (reason, listed) if r)
    out.changes.append(
        UpdateObject(
            object_kind=kind,
            object_key=obj.key,
            object_id=current.id,
            before=before,
            after=after,
            fields=fields,
            reason=reason,
        )
    )


def _old_prices_named(
    state: dict[str, Any], renewed: Mapping[str, str]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A live portal configuration's state with each price this plan replaces named by its
    old id, which is what the configuration holds and the apply swaps for the new price (the
    lookup key moves to the new price); and those lookup keys. Other states pass through."""
    switching = (state.get("features") or {}).get("subscription_update") or {}
    products: Mapping[str, list[str]] = switching.get("products") or {}
    relisted = tuple(sorted({k for keys in products.values() for k in keys if k in renewed}))
    if not relisted:
        return state, ()
    named = {p: sorted(renewed.get(k, k) for k in keys) for p, keys in products.items()}
    features = {**state["features"], "subscription_update": {**switching, "products": named}}
    return {**state, "features": features}, relisted


def _undeclared(obj: LiveObject, options: DiffOptions, out: Collector) -> None:
    kind: Any = obj.kind
    if not obj.managed:
        return
    label = f"{kind}:{obj.key}"
    if kind not in RETIRABLE:
        why = (
            "Stripe cannot archive a coupon and reconciler never deletes"
            if kind == "coupon"
            else "a meter carries no ownership marker, so reconciler leaves it active"
        )
        out.notes.append(Notice(label, obj.id, f"not declared; {why}"))
        return
    if not options.prune:
        out.notes.append(Notice(label, obj.id, "not declared; --prune retires it"))
        return
    before = live_state(obj)
    after = {**before, "active": False} if kind != "product_feature" else {}
    out.changes.append(
        ArchiveObject(
            object_kind=kind,
            object_key=obj.key,
            object_id=obj.id,
            owner_id=obj.owner_id or "",
            before=before,
            after=after,
            fields=field_changes(before, after),
            reason="not declared",
        )
    )


def managed_objects(live: LiveCatalog) -> dict[str, int]:
    """Active managed objects of each kind: the base of each kind's safety rail."""
    counts: dict[str, int] = {}
    for obj in live.objects:
        if obj.managed and obj.active:
            counts[obj.kind] = counts.get(obj.kind, 0) + 1
    return dict(sorted(counts.items()))
