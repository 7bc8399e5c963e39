"""The pure diff of account-level objects: declared objects + live objects -> change values.

An object is matched by its identity (see `AccountObject`), an unmanaged match is only noted
unless `--adopt` takes it over, a field Stripe cannot change in place plans a replacement (with
the fields that force it), and a managed object no plan declares is retired only with
`--prune` (never deleted). Where Stripe bends a rule for a kind (a meter has no metadata, a
coupon cannot be archived, a promotion code keeps its coupon), the kind's declaration says so
(`reconciler.kinds.rules`) and this module reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.kinds import KINDS
from reconciler.model import AccountObject, Catalog
from reconciler.reconcile.changes import Action, Change, Notice, Unmanaged, field_changes
from reconciler.reconcile.plan import DiffOptions
from reconciler.reconcile.state import desired_state, live_state, match_live
from reconciler.reconcile.undeclared import Collector
from reconciler.stripe_catalog.live import LiveCatalog, LiveObject

ADOPT_HINT = "not managed by reconciler; --adopt takes it over"


def account_kinds() -> tuple[str, ...]:
    """The account-level kinds in diff order: by the phase their objects are created in (the
    kinds they name first), then by name."""
    ranked = (k for k in KINDS if KINDS[k].rules.rank >= 2)
    return tuple(sorted(ranked, key=lambda k: (KINDS[k].rules.create_phase, k)))


def diff_objects(desired: Catalog, live: LiveCatalog, options: DiffOptions, out: Collector) -> None:
    """Append the changes and notes of every account-level kind to `out`."""
    replaced: set[tuple[str, str]] = set()  # (kind, key) this plan replaces: followers follow
    # Prices this plan replaces (lookup key -> old id): the portal must name the new ones.
    renewed = {
        c.identity: str(c.stripe_id)
        for c in out.changes
        if c.action == "replace" and c.carried is not None
    }
    for kind in account_kinds():
        candidates: dict[str, list[LiveObject]] = {}
        for held in live.objects_of(kind):
            candidates.setdefault(_key_of(held, out), []).append(held)
        matched: set[str] = set()
        for declared in desired.objects_of(kind):
            current = match_live(declared.key, candidates)
            _diff_one(declared, current, options, out, replaced, renewed)
            if current is not None:
                matched.add(current.id)
        for held in live.objects_of(kind):
            if held.id not in matched and held.active:
                _undeclared(held, options, out)


def _renamed(value: Any, renamed: Mapping[str, str]) -> Any:
    """A live state whose references to products and prices made by hand (named by their
    Stripe ids: they have no plan key or lookup key) name them by their identity keys, as the
    plan files do."""
    if isinstance(value, str):
        return renamed.get(value, value)
    if isinstance(value, list):
        return [_renamed(v, renamed) for v in value]
    if isinstance(value, dict):
        return {renamed.get(k, k): _renamed(v, renamed) for k, v in value.items()}
    return value


def _key_of(held: LiveObject, out: Collector) -> str:
    """The key a declared object names `held` by: its own for a managed object, else the one
    its identity gives it (the key `import` writes for an object made by hand)."""
    if held.managed:
        return held.key
    found = out.identities.get(held.kind, held.id)
    return found.key if found is not None else held.key


def _diff_one(
    obj: AccountObject,
    current: LiveObject | None,
    options: DiffOptions,
    out: Collector,
    replaced: set[tuple[str, str]],
    renewed: Mapping[str, str],
) -> None:
    kind = obj.kind
    rules = KINDS[kind].rules
    after = desired_state(obj)
    if current is None or not current.active:
        # An archived object is not brought back: a new one is made.
        out.changes.append(
            Change(
                action="create",
                kind=kind,
                identity=obj.key,
                after=after,
                fields=field_changes(None, after),
                chosen_id=obj.own_id,
            )
        )
        return
    if not current.managed and not options.adopt:
        out.notes.append(Unmanaged(kind, obj.key, current.id, ADOPT_HINT))
        return
    before, relisted = _old_prices_named(_renamed(live_state(current), out.renamed), renewed)
    fields = field_changes(before, after)
    forced = KINDS[kind].forcing(before, after)
    followed = rules.follows
    moving = followed is not None and (followed, str(obj.terms.get(followed))) in replaced
    if not fields and not moving:
        return
    if forced or moving:
        reason = f"Stripe cannot change {', '.join(forced)} on a {rules.noun}"
        if rules.replacement_note:
            reason += ": " + rules.replacement_note.format(key=obj.key)
        replaced.add((kind, obj.key))
        if moving and not forced:
            reason = rules.follow_note.format(key=obj.terms[str(followed)])
        out.changes.append(
            Change(
                action="replace",
                kind=kind,
                identity=obj.key,
                stripe_id=current.id,
                before=before,
                after=after,
                fields=fields,
                reason=reason,
            )
        )
        return
    reason = "" if current.managed else "adopt"
    action: Action = "update" if current.managed else "adopt"
    if relisted:
        noun = "price" if len(relisted) == 1 else "prices"
        listed = f"it lists {noun} {', '.join(relisted)}, which this plan replaces: it is to list "
        listed += "the new price" if len(relisted) == 1 else "the new prices"
        reason = "; ".join(r for r in (reason, listed) if r)
    out.changes.append(
        Change(
            action=action,
            kind=kind,
            identity=obj.key,
            stripe_id=current.id,
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
    kind = obj.kind
    rules = KINDS[kind].rules
    if not obj.managed:
        return
    label = f"{kind}:{obj.key}"
    if not rules.prunable:
        out.notes.append(Notice(label, obj.id, f"not declared; {rules.kept_because}"))
        return
    if obj.is_default:
        # The default configuration is the one every portal session uses unless told otherwise
        # (docs.stripe.com/api/customer_portal/configurations/object, `is_default`); the docs
        # do not say Stripe refuses to deactivate it, and the tool never tries.
        why = "the account's default configuration, which every portal session uses; never retired"
        out.notes.append(Notice(label, obj.id, f"not declared; {why}"))
        return
    if not options.prune:
        out.notes.append(Notice(label, obj.id, "not declared; --prune retires it"))
        return
    before = live_state(obj)
    after = {**before, "active": False} if rules.retire != "detach" else {}
    out.changes.append(
        Change(
            action="archive",
            kind=kind,
            identity=obj.key,
            stripe_id=obj.id,
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
