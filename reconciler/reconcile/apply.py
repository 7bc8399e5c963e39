"""Execute a plan through the Stripe catalog boundary, in an order Stripe refuses nothing.

Each change becomes one or more steps in phases: create products, update products, create
prices, update prices, create replacement prices, move (or unset) default prices, move
subscribers, archive prices, archive products, and last record on each product the
Entitlements features now attached to it (so a failure before leaves the marker stale, and the
next diff reads that product's attachments). A product's default price therefore always
moves or is unset, as Stripe requires, before its old default is archived. Every write carries
an idempotency key derived from the plan's fingerprint, the change's key and the step, so a
retried request never writes twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import stripe

from reconciler import stripe_catalog as catalog
from reconciler.errors import ApplyFailed, ReconcilerError
from reconciler.metadata import ATTACHED_FEATURES_KEY
from reconciler.reconcile.changes import (
    ArchivePrice,
    ArchiveProduct,
    Change,
    CreatePrice,
    CreateProduct,
    ObjectChange,
    ReplacePrice,
    UpdatePrice,
    UpdateProduct,
)
from reconciler.reconcile.plan import Plan
from reconciler.stripe_catalog import LiveCatalog

Progress = Callable[[str], None]


@dataclass
class _Context:
    """Ids learned while applying: products and prices created earlier in the same run."""

    client: stripe.StripeClient
    live: LiveCatalog
    fingerprint: str
    product_ids: dict[str, str] = field(default_factory=dict)
    price_ids: dict[str, str] = field(default_factory=dict)
    # (kind, key) -> id of account-level objects created earlier in the run.
    object_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    writes: int = 0

    def key(self, change: Change, step: str) -> str:
        digest = hashlib.sha256(f"{self.fingerprint}\0{change.key}\0{step}".encode()).hexdigest()
        return f"reconciler-{digest[:40]}"

    def product_id(self, change: Change) -> str:
        known = getattr(change, "product_id", None)
        if change.product_key in self.product_ids:
            return self.product_ids[change.product_key]
        if known:
            return str(known)
        live = self.live.product_by_key(change.product_key)
        if live is None:
            raise ReconcilerError(f"no Stripe product for {change.product_key!r}")
        return live.id

    def with_meter_id(self, state: dict[str, Any]) -> dict[str, Any]:
        """A price state whose meter (named by event name) is its Stripe id."""
        recurring = state.get("recurring")
        if not recurring or not recurring.get("meter"):
            return state
        meter = self.resolve("meter", str(recurring["meter"]))
        return {**state, "recurring": {**recurring, "meter": meter}}

    def resolve(self, kind: str, key: str) -> str:
        """The Stripe id of the object a plan key names (created in this run, or live)."""
        if kind == "price":
            return self.price_id(key)
        if kind == "product":
            known = self.product_ids.get(key) or getattr(self.live.product_by_key(key), "id", None)
        else:
            known = self.object_ids.get((kind, key)) or next(
                (o.id for o in self.live.objects_of(kind) if o.key == key and o.active), None
            )
        if known is None:
            raise ReconcilerError(f"no Stripe {kind.replace('_', ' ')} for {key!r}")
        return str(known)

    def price_id(self, lookup_key: str) -> str:
        if lookup_key in self.price_ids:
            return self.price_ids[lookup_key]
        live = self.live.active_price_by_lookup_key(lookup_key)
        if live is None:
            raise ReconcilerError(f"no active Stripe price with lookup key {lookup_key!r}")
        return live.id


@dataclass(frozen=True)
class Step:
    """One write (or one batch of subscription moves) of one change."""

    phase: int
    change: Change
    name: str
    run: Callable[[_Context], None]


@dataclass(frozen=True)
class ApplyReport:
    """What an apply did: the keys of the changes applied and how many writes it made."""

    applied: tuple[str, ...]
    writes: int


def _after(change: Change) -> dict[str, Any]:
    return dict(change.after or {})


def _steps(change: Change) -> Iterator[Step]:
    """The steps of one change, each tagged with the phase that orders it."""
    after, before = _after(change), dict(change.before or {})
    if isinstance(change, CreateProduct):
        unmarked = _with_marker(after, None)

        def create_product(ctx: _Context) -> None:
            ctx.product_ids[change.product_key] = catalog.create_product(
                ctx.client, unmarked, ctx.key(change, "create")
            )

        yield Step(0, change, "create product", create_product)
        if after.get("default_price"):
            yield Step(5, change, "set default price", _default_step(change, after))
        if unmarked != after:
            yield Step(9, change, "record attached features", _marker_step(change, unmarked))
    elif isinstance(change, UpdateProduct):
        # The attachment marker is written last, once every attachment is made or removed.
        early = _with_marker(after, _marker(before))

        def update_product(ctx: _Context) -> None:
            catalog.update_product(
                ctx.client, change.product_id, before, early, ctx.key(change, "update")
            )

        if {k: v for k, v in before.items() if k != "default_price"} != {
            k: v for k, v in early.items() if k != "default_price"
        }:
            yield Step(1, change, "update product", update_product)
        if after.get("default_price") != before.get("default_price"):
            yield Step(5, change, "set default price", _default_step(change, after))
        if early != after:
            yield Step(9, change, "record attached features", _marker_step(change, early))
    elif isinstance(change, CreatePrice):

        def create_price(ctx: _Context) -> None:
            ctx.price_ids[change.lookup_key] = catalog.create_price(
                ctx.client,
                ctx.product_id(change),
                ctx.with_meter_id(after),
                ctx.key(change, "create"),
            )

        yield Step(2, change, "create price", create_price)
    elif isinstance(change, UpdatePrice):

        def update_price(ctx: _Context) -> None:
            catalog.update_price(
                ctx.client, change.price_id, before, after, ctx.key(change, "update")
            )

        # Deactivating waits for the default price to move; everything else goes early.
        yield Step(7 if not after["active"] else 3, change, "update price", update_price)
    elif isinstance(change, ReplacePrice):
        yield from _replace_steps(change, after)
    elif isinstance(change, ArchivePrice):

        def archive_price(ctx: _Context) -> None:
            catalog.archive(ctx.client, "price", change.price_id, ctx.key(change, "archive"))

        yield Step(7, change, "archive price", archive_price)
    elif isinstance(change, ObjectChange):
        from reconciler.reconcile.apply_objects import object_steps

        yield from object_steps(change)
    elif isinstance(change, ArchiveProduct):

        def archive_product(ctx: _Context) -> None:
            catalog.archive(ctx.client, "product", change.product_id, ctx.key(change, "archive"))

        if before.get("default_price") and not after.get("default_price"):
            yield Step(5, change, "unset default price", _default_step(change, after))
        yield Step(8, change, "archive product", archive_product)


def _marker(state: dict[str, Any]) -> str | None:
    return (state.get("metadata") or {}).get(ATTACHED_FEATURES_KEY)


def _with_marker(state: dict[str, Any], marker: str | None) -> dict[str, Any]:
    """A product state whose attachment marker is `marker` (None: without one)."""
    metadata = {
        k: v for k, v in (state.get("metadata") or {}).items() if k != ATTACHED_FEATURES_KEY
    }
    if marker is not None:
        metadata[ATTACHED_FEATURES_KEY] = marker
    return {**state, "metadata": dict(sorted(metadata.items()))} if "metadata" in state else state


def _marker_step(change: Change, before: dict[str, Any]) -> Callable[[_Context], None]:
    """Write the product's attachment marker (its only difference from `before`)."""
    after = _after(change)

    def record(ctx: _Context) -> None:
        catalog.update_product(
            ctx.client, ctx.product_id(change), before, after, ctx.key(change, "marker")
        )

    return record


def _default_step(change: Change, after: dict[str, Any]) -> Callable[[_Context], None]:
    """Set the product's default price to the one the plan names, or unset it (None)."""
    name = after.get("default_price")

    def set_default(ctx: _Context) -> None:
        catalog.set_default_price(
            ctx.client,
            ctx.product_id(change),
            ctx.price_id(str(name)) if name else None,
            ctx.key(change, "default"),
        )

    return set_default


def _replace_steps(change: ReplacePrice, after: dict[str, Any]) -> Iterator[Step]:
    def create_new(ctx: _Context) -> None:
        ctx.price_ids[change.lookup_key] = catalog.create_price(
            ctx.client,
            ctx.product_id(change),
            ctx.with_meter_id(after),
            ctx.key(change, "create"),
            transfer_lookup_key=True,
        )

    yield Step(4, change, "create replacement price", create_new)
    if change.moves_default:

        def move_default(ctx: _Context) -> None:
            catalog.set_default_price(
                ctx.client,
                ctx.product_id(change),
                ctx.price_ids[change.lookup_key],
                ctx.key(change, "default"),
            )

        yield Step(5, change, "move default price", move_default)
    if change.migrate_subscribers:

        def migrate(ctx: _Context) -> None:
            new_id = ctx.price_ids[change.lookup_key]
            for ref in catalog.subscription_items(ctx.client, change.old_price_id):
                catalog.move_subscription_item(
                    ctx.client,
                    ref,
                    new_id,
                    change.proration_behavior,
                    ctx.key(change, f"migrate {ref.subscription_id}"),
                )
                ctx.writes += 1

        yield Step(6, change, "move subscribers", migrate)

    def archive_old(ctx: _Context) -> None:
        catalog.archive(ctx.client, "price", change.old_price_id, ctx.key(change, "archive"))

    if change.archive_old:
        yield Step(7, change, "archive old price", archive_old)


def plan_steps(plan: Plan) -> tuple[Step, ...]:
    """Every step of the plan in execution order (phase, then the plan's own order)."""
    steps = [s for change in plan.changes for s in _steps(change)]
    return tuple(sorted(steps, key=lambda s: s.phase))  # sorted() is stable


def apply_plan(
    plan: Plan, live: LiveCatalog, client: stripe.StripeClient, progress: Progress
) -> ApplyReport:
    """Run every step; on the first failure raise ApplyFailed naming what was and was not
    applied (a rerun diffs again and converges)."""
    ctx = _Context(client=client, live=live, fingerprint=plan.fingerprint)
    steps = plan_steps(plan)
    remaining = {change.key: sum(1 for s in steps if s.change is change) for change in plan.changes}
    applied: list[str] = []
    for step in steps:
        progress(f"{step.name}: {step.change.key}")
        try:
            step.run(ctx)
        except ReconcilerError as exc:
            total = {c.key: sum(1 for s in steps if s.change is c) for c in plan.changes}
            partial = tuple(
                c.key
                for c in plan.changes
                if c.key not in applied and remaining[c.key] < total[c.key]
            )
            pending = tuple(
                c.key for c in plan.changes if c.key not in applied and c.key not in partial
            )
            raise ApplyFailed(
                f"{step.name} {step.change.key} failed: {exc}", tuple(applied), partial, pending
            ) from exc
        if step.name != "move subscribers":
            ctx.writes += 1
        remaining[step.change.key] -= 1
        if remaining[step.change.key] == 0:
            applied.append(step.change.key)
    return ApplyReport(tuple(applied), ctx.writes)
