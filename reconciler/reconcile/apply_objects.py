"""The steps of account-level object changes, in the phases `apply.py` orders all steps by.

Meters come first (phase 0: prices may name them), Entitlements features with product
updates (1), attachments and coupons once products exist (3), promotion codes once their
coupons exist (4), and retirements last (8). A replacement retires the old object before
creating the new one where Stripe allows one active object per identity (a meter's event name,
a promotion code), and after it for a coupon, which only loses its plan key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from reconciler import stripe_catalog as catalog
from reconciler.metadata import MANAGED_BY_KEY, PRODUCT_KEY_KEY
from reconciler.reconcile.changes import (
    ArchiveObject,
    CreateObject,
    ObjectChange,
    ReplaceObject,
    UpdateObject,
)

if TYPE_CHECKING:
    from reconciler.reconcile.apply import Step, _Context

CREATE_PHASE = {
    "meter": 0,
    "feature": 1,
    "product_feature": 3,
    "coupon": 3,
    "promotion_code": 4,
    # The portal names prices, so it waits for new ones; archived ones leave it first.
    "portal_configuration": 6,
}
RETIRE_PHASE = 8


def object_steps(change: ObjectChange) -> Iterator[Step]:
    from reconciler.reconcile.apply import Step

    kind = change.kind
    after, before = dict(change.after or {}), dict(change.before or {})
    phase = CREATE_PHASE[kind]

    def create(ctx: _Context) -> None:
        ctx.object_ids[(kind, change.object_key)] = catalog.create_object(
            ctx.client, kind, after, ctx.resolve, ctx.key(change, "create")
        )

    if isinstance(change, CreateObject):
        yield Step(phase, change, f"create {kind.replace('_', ' ')}", create)
    elif isinstance(change, UpdateObject):
        object_id = change.object_id

        def update(ctx: _Context) -> None:
            catalog.update_object(
                ctx.client, kind, object_id, before, after, ctx.resolve, ctx.key(change, "update")
            )

        yield Step(max(phase, 1), change, f"update {kind.replace('_', ' ')}", update)
    elif isinstance(change, ReplaceObject):
        old_id = change.object_id
        if kind == "coupon":
            yield Step(phase, change, "create replacement coupon", create)
            unmarked = {
                k: v
                for k, v in before.get("metadata", {}).items()
                if k not in (MANAGED_BY_KEY, PRODUCT_KEY_KEY)
            }

            def release(ctx: _Context) -> None:
                catalog.update_object(
                    ctx.client,
                    kind,
                    old_id,
                    before,
                    {**before, "metadata": unmarked},
                    ctx.resolve,
                    ctx.key(change, "release"),
                )

            yield Step(phase, change, "release the old coupon's plan key", release)
            return

        def retire_old(ctx: _Context) -> None:
            catalog.retire_object(ctx.client, kind, old_id, "", ctx.key(change, "retire"))

        yield Step(phase, change, f"retire the old {kind.replace('_', ' ')}", retire_old)
        yield Step(phase, change, f"create replacement {kind.replace('_', ' ')}", create)
    elif isinstance(change, ArchiveObject):
        object_id, owner = change.object_id, change.owner_id

        def retire(ctx: _Context) -> None:
            catalog.retire_object(ctx.client, kind, object_id, owner, ctx.key(change, "retire"))

        yield Step(RETIRE_PHASE, change, f"retire {kind.replace('_', ' ')}", retire)
