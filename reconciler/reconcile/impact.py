"""Entitlement impact: what subscribers of a price gain or lose when a plan changes its limits
or features, and how many subscriptions that touches.

The delta is pure; the counts come from `stripe_catalog.subscription_items` (list calls of 100,
never one call per customer) and only for the prices whose changes need them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import stripe

from reconciler import stripe_catalog
from reconciler.kinds import KINDS
from reconciler.metadata import format_feature, format_limit, parse_price_metadata
from reconciler.model import UNLIMITED, Config, FeatureValue, LimitSpec, as_limit
from reconciler.reconcile.changes import Change, EntitlementImpact
from reconciler.reconcile.plan import Plan


def _limit_rank(value: LimitSpec) -> float:
    """How much a limit grants, to tell a gain from a loss (per unit for `per_unit`)."""
    amount = as_limit(value).value
    return float("inf") if amount is UNLIMITED else float(amount)


def _entitlements(
    metadata: Mapping[str, Any] | None, config: Config
) -> tuple[dict[str, LimitSpec], dict[str, FeatureValue]]:
    parsed = parse_price_metadata(dict(metadata or {}), config)
    return {**config.default_limits, **parsed.limits}, parsed.features


def entitlement_delta(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, config: Config
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(gained, lost, changed) between two metadata maps, limits with the configured defaults."""
    gained: list[str] = []
    lost: list[str] = []
    changed: list[str] = []
    old_limits, old_features = _entitlements(before, config)
    new_limits, new_features = _entitlements(after, config)
    for name in sorted(old_limits.keys() | new_limits.keys()):
        old, new = old_limits.get(name), new_limits.get(name)
        if old == new:
            continue
        shown = (
            f"limit {name}: {'(none)' if old is None else format_limit(old)} -> "
            f"{'(none)' if new is None else format_limit(new)}"
        )
        if new is None or (old is not None and _limit_rank(new) < _limit_rank(old)):
            lost.append(shown)
        elif old is not None and _limit_rank(new) == _limit_rank(old):
            changed.append(shown)  # the same amount, another form (per unit, reset, meter)
        else:
            gained.append(shown)
    for name in sorted(old_features.keys() | new_features.keys()):
        was, now = old_features.get(name), new_features.get(name)
        if was == now:
            continue
        shown = (
            f"feature {name}: {'(none)' if was is None else format_feature(was)} -> "
            f"{'(none)' if now is None else format_feature(now)}"
        )
        if now is None or now is False:
            lost.append(shown)
        elif was is None or was is False:
            gained.append(shown)
        else:
            changed.append(shown)
    return tuple(gained), tuple(lost), tuple(changed)


def counted_price(change: Change, config: Config) -> str | None:
    """The price whose subscribers a change affects, when its impact is worth counting."""
    if not KINDS[change.kind].rules.grants or change.stripe_id is None:
        return None
    if change.action == "replace":
        return change.stripe_id
    if change.action == "adopt" and (change.after or {}).get("active") is False:
        return change.stripe_id  # a grandfathered price: who still pays it
    if change.action in ("update", "adopt"):
        before = (change.before or {}).get("metadata")
        after = (change.after or {}).get("metadata")
        if any(entitlement_delta(before, after, config)):
            return change.stripe_id
    return None


def with_impact(plan: Plan, counts: Mapping[str, int], config: Config) -> Plan:
    """The plan with each counted change's impact filled in (pure; fingerprint unchanged)."""
    changes: list[Change] = []
    for change in plan.changes:
        price_id = counted_price(change, config)
        if price_id is None or price_id not in counts:
            changes.append(change)
            continue
        moves = change.action in ("update", "adopt") or (
            change.carried is not None and change.carried.migrate_subscribers
        )
        delta = entitlement_delta(
            (change.before or {}).get("metadata"), (change.after or {}).get("metadata"), config
        )
        gained, lost, other = delta if moves else ((), (), ())
        impact = EntitlementImpact(counts[price_id], gained, lost, other)
        changes.append(replace(change, impact=impact))
    return plan.with_changes(tuple(changes))


def count_subscriptions(client: stripe.StripeClient, plan: Plan, config: Config) -> dict[str, int]:
    """Active and trialing subscriptions per affected price, by list calls."""
    wanted = sorted({p for c in plan.changes if (p := counted_price(c, config)) is not None})
    counts = stripe_catalog.subscriber_counts(client, wanted, stripe_catalog.ENTITLED_STATUSES)
    return {price_id: counts.get(price_id, 0) for price_id in wanted}


def currency_refusal(plan: Plan) -> str | None:
    """Why `--migrate-subscribers` cannot run this plan, or None: a replacement that changes
    the currency would move subscribers across currencies, which Stripe refuses ("The currency
    cannot be updated on an ongoing subscription", support.stripe.com/questions/set-or-change-
    currency-for-an-invoice-or-customer-in-stripe-billing). Needs the counts of `with_impact`."""
    problems = []
    noun = "object"
    for change in plan.changes:
        if not (change.carried is not None and change.carried.migrate_subscribers):
            continue
        noun = KINDS[change.kind].rules.noun
        old = (change.before or {}).get("currency")
        new = (change.after or {}).get("currency")
        count = change.impact.subscriptions if change.impact else 0
        if old != new and count:
            problems.append(
                f"{noun} {change.identity}: {count} subscription(s) cannot move from {old} to {new}"
            )
    if not problems:
        return None
    return (
        "--migrate-subscribers refused: Stripe does not change an ongoing subscription's "
        f"currency ({'; '.join(problems)}); drop --migrate-subscribers to leave them on the old "
        f"{noun}, or cancel and re-create those subscriptions in the new currency"
    )
