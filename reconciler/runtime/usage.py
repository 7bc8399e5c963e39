"""Usage counters: per entity, per limit name, per counter window (the decisions; the store
does the atomic check-and-increment).

A counter is keyed by the start of its window: the entity's current billing period, or for a
limit with its own `reset` the day, week, month or year window holding now (counted from the
period's start), so a new window starts from zero; it expires a day after the window ends.
Entities on the default plan count per UTC calendar month.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.metadata import strip_prefix
from reconciler.model import UNLIMITED, Config, LimitValue
from reconciler.runtime.entitlements import Entitlements
from reconciler.runtime.store.base import Store
from reconciler.runtime.store.keys import USAGE_GRACE_SECONDS


def counter_ttl(period_end: int, now: float) -> int:
    """Seconds the counter must live: to the period's end, plus a grace day for late calls."""
    return max(0, int(period_end - now)) + USAGE_GRACE_SECONDS


def limit_of(ent: Entitlements, counter: str, config: Config) -> LimitValue:
    """The entity's limit for `counter` (prefixed or not); a name no plan sets is an error,
    so a typo never counts without a cap."""
    name = strip_prefix(counter, config.limits_prefix)
    value = ent.limits.get(name)
    if value is None:
        raise ReconcilerError(
            f"no limit named {name!r} on plan {ent.plan!r} (set it in the plan files or in "
            "default_limits of reconciler.yaml)"
        )
    return value


def consume(
    store: Store,
    ent: Entitlements,
    entity_id: str,
    counter: str,
    amount: int,
    config: Config,
    now: float,
    expected_token: str | None = None,
    op_id: str | None = None,
) -> int:
    """Add `amount` to the period's counter or raise `LimitExceeded`; returns the new total.
    With `expected_token`, `StaleRecord` when the entity's record changed since `ent` was
    resolved from it. `op_id` makes a retry count at most once (see `Store.consume`)."""
    limit = limit_of(ent, counter, config)
    name = strip_prefix(counter, config.limits_prefix)
    cap = None if limit is UNLIMITED else int(limit)
    start, end = ent.window(name)
    ttl = counter_ttl(end, now)
    meter = ent.meters.get(name)
    return store.consume(
        entity_id, name, start, amount, cap, ttl, expected_token, op_id, meter=meter
    )


def usage(
    store: Store, ent: Entitlements, entity_id: str, counter: str, config: Config
) -> dict[str, Any]:
    """`{"used", "limit", "remaining"}`; a limit with no cap reads `"unlimited"` in both."""
    limit = limit_of(ent, counter, config)
    name = strip_prefix(counter, config.limits_prefix)
    used = store.usage(entity_id, name, ent.window(name)[0])
    if limit is UNLIMITED:
        out: dict[str, Any] = {"used": used, "limit": "unlimited", "remaining": "unlimited"}
    else:
        out = {"used": used, "limit": limit, "remaining": max(0, int(limit) - used)}
    meter = ent.meters.get(name)
    if meter is not None:
        totals = store.meter_usage(entity_id).get(meter)
        out["meter"] = meter
        out["consumed"] = totals.consumed if totals else 0
        out["unflushed"] = totals.unflushed if totals else 0
    return out
