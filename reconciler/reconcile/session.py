"""One reconcile run's reads: the live catalog, the plan, and its entitlement impact."""

from __future__ import annotations

from dataclasses import dataclass

import stripe

from reconciler.errors import PlanRefused
from reconciler.model import Plans
from reconciler.plans.entries import attachments_recorded
from reconciler.reconcile.diff import diff
from reconciler.reconcile.impact import count_subscriptions, currency_refusal, with_impact
from reconciler.reconcile.plan import DiffOptions, Plan
from reconciler.stripe_catalog import LiveCatalog, read_live_catalog


@dataclass(frozen=True)
class Planned:
    """The plan and the live catalog it was made from (apply resolves ids against it)."""

    plan: Plan
    live: LiveCatalog


def make_plan(
    plans: Plans, client: stripe.StripeClient, options: DiffOptions, verify: bool = False
) -> Planned:
    """Read Stripe (list calls only), diff, then count subscribers for changes that need it.
    A product's Entitlements feature attachments are read only where its marker differs from
    the plan, unless `verify` (every product read: finds attachments changed by hand).
    Raises `PlanRefused` for a subscriber migration Stripe would refuse half-way (across
    currencies), before anything is written."""
    recorded = None if verify else attachments_recorded(plans.catalog)
    live = read_live_catalog(client, plans.config, objects=True, recorded=recorded)
    plan = diff(plans.catalog, live, options, plans.config)
    counts = count_subscriptions(client, plan, plans.config)
    planned = Planned(with_impact(plan, counts, plans.config) if counts else plan, live)
    refusal = currency_refusal(planned.plan)
    if refusal is not None:
        raise PlanRefused(refusal)
    return planned
