"""Entities and their Stripe customers: creating one customer per entity, finding it again,
and re-syncing a customer's subscription into its entity's cache.

These steps combine the store (locks, mappings) with the runtime's Stripe boundary; the rules
they apply (which subscription governs, what is cached) live in `subscriptions.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.errors import NoCustomer, ReconcilerError
from reconciler.model import Config, Mode
from reconciler.runtime.catalog import PlanPrice
from reconciler.runtime.store.base import Store, held
from reconciler.runtime.stripe_calls import ENTITY_ID_KEY, RuntimeStripe
from reconciler.runtime.subscriptions import AddOn, no_add_ons, summarize


def customer_lock(entity_id: str) -> str:
    """The lock every creator of an entity's customer takes (runtime and backfill alike)."""
    return f"lock:customer:{entity_id}"


def ensure_customer(
    store: Store,
    stripe: RuntimeStripe,
    entity_id: str,
    email: str | None,
    metadata: Mapping[str, str] | None,
) -> str:
    """The entity's customer id, creating the customer once.

    A store lock serializes concurrent callers (threads or processes), the idempotency key
    derived from the entity id makes a retried create return the same customer, and a customer
    already carrying `metadata.entityId` (a store that lost its mapping) is adopted."""
    existing = store.get_customer(entity_id)
    if existing:
        return existing
    with held(store, customer_lock(entity_id)):
        existing = store.get_customer(entity_id)
        if existing:
            return existing
        customer = stripe.find_customer(entity_id)
        if customer is None:
            customer = stripe.create_customer(entity_id, email, metadata)
        store.set_customer(entity_id, customer)
        return customer


def require_customer(store: Store, entity_id: str) -> str:
    """The entity's customer id, or `NoCustomer`."""
    customer = store.get_customer(entity_id)
    if not customer:
        raise NoCustomer(
            f"entity {entity_id!r} has no Stripe customer: call create_stripe_customer first"
        )
    return customer


def sync_customer(
    store: Store, stripe: RuntimeStripe, customer_id: str, add_on: AddOn = no_add_ons
) -> dict[str, Any]:
    """Re-read the customer's subscriptions and cache the governing one for its entity (found
    in the store, else by the customer's `metadata.entityId`; without either nothing is cached).

    A lock per customer orders concurrent syncs: the later one reads Stripe after the earlier
    one wrote, so an older answer never overwrites a newer one."""
    with held(store, f"lock:sync:{customer_id}"):
        chosen = summarize(stripe.list_subscriptions(customer_id), add_on)
        entity = store.entity_for_customer(customer_id)
        if entity is None:
            entity = stripe.customer_entity(customer_id)
            if entity is not None and store.get_customer(entity) is None:
                store.set_customer(entity, customer_id)
        if entity is not None:
            store.set_subscription(entity, chosen)
        return chosen


def checkout_params(
    config: Config,
    mode: Mode,
    plan_price: PlanPrice,
    entity_id: str,
    success_url: str | None,
    cancel_url: str | None,
    trial_days: int | None,
    extra: Mapping[str, Any],
) -> tuple[str, str, str, dict[str, Any]]:
    """(session mode, success URL, cancel URL, other params) of a Checkout Session for one
    price: URLs default from the config for the key's mode, and the price's trial applies."""
    urls = config.urls_for(mode)
    success = success_url or urls.checkout_success
    cancel = cancel_url or urls.checkout_cancel
    if not success or not cancel:
        raise ReconcilerError(
            "checkout needs success and cancel URLs: pass them or set urls in reconciler.yaml"
        )
    params: dict[str, Any] = {
        **extra,
        "metadata": {**extra.get("metadata", {}), ENTITY_ID_KEY: entity_id},
    }
    session_mode = "subscription" if plan_price.interval else "payment"
    # The caller's `subscription_data` (trial_settings, metadata, ...) is kept; the trial
    # comes from `trial_days`, else from the caller's own, else from the price.
    data = dict(extra.get("subscription_data", {}))
    trial = trial_days if trial_days is not None else data.get("trial_period_days")
    trial = trial if trial is not None else plan_price.trial_days
    if session_mode == "subscription" and trial:
        data["trial_period_days"] = trial
    if data:
        params["subscription_data"] = data
    return session_mode, success, cancel, params
