"""`Billing`: the runtime facade an application calls (customers, Checkout, portal, sync,
webhooks, plans, entitlements and usage counters). It composes the store, the runtime's Stripe
boundary, the catalog cache and the pure rules; it holds no logic of its own beyond that.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import stripe

from reconciler.errors import (
    PlanError,
    ReconcilerError,
    StoreUnavailable,
)
from reconciler.model import FeatureValue, LimitSpec, LimitValue, Plans
from reconciler.plans import load_plans
from reconciler.ratelimit import SharedRateLimiter, default_rate, limiter_name
from reconciler.runtime import usage as counters
from reconciler.runtime.catalog import CatalogView, PlanPrice
from reconciler.runtime.catalog_cache import CatalogCache
from reconciler.runtime.customers import (
    checkout_params,
    ensure_customer,
    require_customer,
    sync_customer,
)
from reconciler.runtime.entitlements import Entitlements, resolve, unavailable
from reconciler.runtime.meter_flush import (
    DEFAULT_LEASE_SECONDS,
    FlushReport,
    flush_usage,
    shared_acquire,
)
from reconciler.runtime.resolved import ResolvedMemo
from reconciler.runtime.store import EntityRecord, Store, open_store, record_cache_enabled
from reconciler.runtime.store.base import StaleRecord, new_op_id
from reconciler.runtime.stripe_calls import CheckoutSession, RuntimeStripe
from reconciler.runtime.subscriptions import (
    ACCESS_STATUSES,
    NONE,
    AddOn,
    add_on_products,
    no_add_ons,
)
from reconciler.runtime.sync_queue import LEASE_SECONDS as QUEUE_LEASE_SECONDS
from reconciler.runtime.sync_queue import SyncQueue, enqueue_event
from reconciler.runtime.webhooks import WebhookResult, process, verify
from reconciler.stripe_catalog import read_live_catalog, read_price
from reconciler.stripe_client import StripeSettings, make_client

# An unknown price on an active subscription triggers a catalog refresh at most this often.
UNKNOWN_PRICE_REFRESH_SECONDS = 10.0
MAX_STALE_RETRIES = 5


class Billing:
    """Billing for entities (users or organizations), keyed by your own entity id."""

    def __init__(
        self,
        plans: Plans,
        store: Store,
        client: stripe.StripeClient,
        settings: StripeSettings,
        catalog_ttl: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.plans = plans
        self.config = plans.config
        self.store = store
        self.settings = settings
        # Seconds since the epoch: which billing period and reset window counts (tests
        # inject one to cross a month boundary without waiting).
        self.clock = clock
        self.stripe = RuntimeStripe(client)
        self.catalog = CatalogCache(
            # No backoff here: a request must not wait out a 429 storm, and the cache keeps
            # answering from its last copy while Stripe is unreachable.
            store,
            lambda: read_live_catalog(client, self.config, retry=None),
            lambda price_id: read_price(client, price_id, self.config),
            plans,
            local_ttl=catalog_ttl,
        )
        self._answers = ResolvedMemo()
        self._last_unknown_refresh = -UNKNOWN_PRICE_REFRESH_SECONDS
        self._refresh_lock = threading.Lock()

    @classmethod
    def from_env(
        cls, plans_path: str | Path = "plans", environ: Mapping[str, str] | None = None
    ) -> Billing:
        """From STRIPE_API_KEY, STRIPE_API_BASE, STRIPE_WEBHOOK_SECRET and REDIS_URL (empty:
        the embedded SQLite store), with the plans folder at `plans_path`;
        RECONCILER_RECORD_CACHE=off turns the in-process record cache off."""
        env = os.environ if environ is None else environ
        loaded = load_plans(plans_path)
        if loaded.plans is None:
            problems = "\n".join(d.format() for d in loaded.diagnostics)
            raise PlanError(f"the plans in {plans_path} are invalid:\n{problems}")
        settings = StripeSettings.from_env(env)
        store = open_store(env.get("REDIS_URL"), record_cache=record_cache_enabled(env))
        return cls(loaded.plans, store, make_client(settings), settings)

    def close(self) -> None:
        self.store.close()

    # Customers, Checkout, portal -------------------------------------------------------

    def create_stripe_customer(
        self, entity_id: str, email: str | None = None, metadata: Mapping[str, str] | None = None
    ) -> str:
        """The entity's Stripe customer id, creating the customer once (a no-op when mapped);
        concurrent calls for one entity create one customer (see `customers.ensure_customer`).
        The customer carries `metadata.entityId`."""
        return ensure_customer(self.store, self.stripe, entity_id, email, metadata)

    def checkout_session(
        self,
        entity_id: str,
        price: str,
        success_url: str | None = None,
        cancel_url: str | None = None,
        trial_days: int | None = None,
        **extra: Any,
    ) -> CheckoutSession:
        """`checkout`, returning the session's id as well as its URL."""
        plan_price = self._price(price)
        mode, success, cancel, params = checkout_params(
            self.config,
            self.settings.mode,
            plan_price,
            entity_id,
            success_url,
            cancel_url,
            trial_days,
            extra,
        )
        customer = self.create_stripe_customer(entity_id)
        return self.stripe.create_checkout(
            customer, plan_price.price_id, mode, success, cancel, params
        )

    def checkout(
        self,
        entity_id: str,
        price: str,
        success_url: str | None = None,
        cancel_url: str | None = None,
        trial_days: int | None = None,
        **extra: Any,
    ) -> str:
        """A hosted Checkout URL for `price` (a price id or a lookup key), quantity 1; creates
        the customer first when missing. Extra keyword arguments are Checkout Session params."""
        session = self.checkout_session(
            entity_id, price, success_url, cancel_url, trial_days, **extra
        )
        return session.url

    def get_portal(
        self, entity_id: str, return_url: str | None = None, configuration: str | None = None
    ) -> str:
        """A Billing Portal URL; `NoCustomer` when the entity has no customer yet,
        `PortalNotConfigured` when the account has no default portal configuration and
        `configuration` (a `bpc_...` id) names none."""
        customer = require_customer(self.store, entity_id)
        fallback = self.config.urls_for(self.settings.mode).portal_return
        return self.stripe.create_portal(customer, return_url or fallback, configuration)

    # Subscriptions and webhooks --------------------------------------------------------

    def sync(self, stripe_customer_id: str) -> dict[str, Any]:
        """Re-read the customer's subscriptions (all statuses), cache the one that governs
        access (rule in `reconciler.runtime.subscriptions`) for its entity, and return it."""
        return sync_customer(self.store, self.stripe, stripe_customer_id, self._add_on())

    def _add_on(self) -> AddOn:
        """Which subscription items are add-ons, from the catalog (none when it cannot be
        read: the newest subscription then governs, as before add-ons)."""
        view = self._view_or_none()
        if view is None:
            return no_add_ons
        return add_on_products({p.product_id for p in view.prices if p.grant.add_on})

    def get_subscription(self, entity_id: str) -> dict[str, Any]:
        """The cached subscription; `{"status": "none"}` without a customer or a cache entry."""
        record = self.store.get_record(entity_id)
        if record.customer_id is None or record.subscription is None:
            return dict(NONE)
        return copy.deepcopy(dict(record.subscription))

    def handle_webhook(self, payload: bytes, signature: str | None) -> WebhookResult:
        """Verify and act on one Stripe webhook delivery (framework-neutral).

        Raises `WebhookRejected` (answer 400) for a bad body or signature, writing nothing;
        any returned result answers 200."""
        event = verify(payload, signature, self.settings.webhook_secret)
        return process(event, self.store, self.sync, self.refresh_catalog)

    def receive_webhook(self, payload: bytes, signature: str | None) -> WebhookResult:
        """Verify and record one delivery and queue the Stripe re-read it calls for, without
        calling Stripe (action `queued`); a `webhook_queue` worker does the re-read. This is
        what `reconciler serve` answers from, so a burst never waits on Stripe."""
        event = verify(payload, signature, self.settings.webhook_secret)
        return enqueue_event(event, self.store)

    def webhook_queue(
        self, rate: float | None = None, lease_seconds: float = QUEUE_LEASE_SECONDS
    ) -> SyncQueue:
        """The worker for `receive_webhook`'s queue, paced by the limiter every process using
        this store shares for the key's mode (`rate` requests/s; Stripe's limit by default);
        an item a killed worker held is left to the others after `lease_seconds`."""
        mode = self.settings.mode
        limit = rate if rate is not None else default_rate(mode)
        limiter = SharedRateLimiter(self.store, limiter_name(mode), limit)
        return SyncQueue(self.store, self.sync, self.refresh_catalog, limiter, lease_seconds)

    # Catalog --------------------------------------------------------------------------

    def refresh_catalog(self) -> CatalogView:
        """Read the catalog from Stripe now and share it through the store."""
        return self.catalog.refresh()

    def get_plans(self) -> list[dict[str, Any]]:
        """Every active price of an active product, with its product, limits and features."""
        return [p.as_dict() for p in self.catalog.view().active_prices()]

    def get_limits(self, price: str) -> dict[str, LimitSpec]:
        """The limits a price grants (id or lookup key), defaults filled: plain values, or
        `Limit` for the per-unit, reset and metered forms (an add-on's own limits only)."""
        return dict(self._price(price).grant.limits)

    def get_features(self, price: str) -> dict[str, FeatureValue]:
        """The features a price grants (id or lookup key)."""
        return dict(self._price(price).grant.features)

    def _price(self, price: str) -> PlanPrice:
        view = self.catalog.view()
        found = view.price(price) or view.active_by_lookup_key(price)
        if found is None and self._throttled_refresh():
            view = self.catalog.view()
            found = view.price(price) or view.active_by_lookup_key(price)
        if found is None:
            raise ReconcilerError(f"no price with id or active lookup key {price!r} in Stripe")
        return found

    def _throttled_refresh(self) -> bool:
        """Re-read the catalog for a price it lacks, at most once per 10 s per process, so
        unknown ids (typos, user input) cannot turn into a stream of Stripe list calls."""
        with self._refresh_lock:
            if time.monotonic() - self._last_unknown_refresh < UNKNOWN_PRICE_REFRESH_SECONDS:
                return False
            self._last_unknown_refresh = time.monotonic()
        self.catalog.refresh()
        return True

    # Entitlements and usage -----------------------------------------------------------

    def _resolve_one(self, entity_id: str) -> Entitlements:
        # The hot path: the record cache, then the remembered answer (no I/O when both hit).
        try:
            record = self.store.get_record(entity_id)
        except StoreUnavailable:
            if self.config.on_store_unavailable != "default_plan":
                raise
            return self._unavailable(1)[0]
        return self._resolve_record(record)

    def _resolve_many(self, entity_ids: Sequence[str]) -> list[Entitlements]:
        try:
            # Cached records, and one pipelined round trip for the others.
            records = self.store.get_records(entity_ids)
        except StoreUnavailable:
            if self.config.on_store_unavailable != "default_plan":
                raise
            return self._unavailable(len(entity_ids))
        now = self.clock()
        return [self._resolve_record(record, now) for record in records]

    def _unavailable(self, count: int) -> list[Entitlements]:
        """The default plan for `count` entities while the store is down (when so configured)."""
        view = self._view_or_none()
        now = self.clock()
        return [unavailable(view, self.config, now) for _ in range(count)]

    def _view_or_none(self) -> CatalogView | None:
        try:
            return self.catalog.view()
        except ReconcilerError:
            return None

    def _view_for(self, subscription: Mapping[str, Any] | None) -> CatalogView:
        """The catalog view holding the price of a subscription that grants access: a price
        the view lacks is read by id, never assumed gone (see `CatalogCache.including`)."""
        if subscription is None or subscription.get("status") not in ACCESS_STATUSES:
            return self.catalog.view()
        price_id = subscription.get("price_id")
        return self.catalog.including([str(price_id)] if price_id else [])

    def entitlements(self, entity_id: str) -> dict[str, Any]:
        """`{"status", "plan", "limits", "features"}` for the entity, in one store round trip."""
        return self._resolve_one(entity_id).as_dict()

    def entitlements_many(self, entity_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """`entitlements` for many entities in one pipelined store round trip."""
        resolved = self._resolve_many(entity_ids)
        return {e: ent.as_dict() for e, ent in zip(entity_ids, resolved, strict=True)}

    def has_feature(self, entity_id: str, name: str) -> bool:
        """True when the entity's plan sets the feature (`features:` prefix optional) truthy."""
        return self._resolve_one(entity_id).has_feature(name, self.config)

    def limit(self, entity_id: str, name: str) -> LimitValue:
        """The entity's limit `name` (`limits:` prefix optional); an unknown name raises."""
        return counters.limit_of(self._resolve_one(entity_id), name, self.config)

    def consume(
        self, entity_id: str, counter: str, amount: int = 1, *, op_id: str | None = None
    ) -> int:
        """Count `amount` against the entity's limit for this billing period, atomically;
        returns the new total or raises `LimitExceeded` (used, limit) leaving it unchanged.

        `op_id` names the operation (a fresh one when None): the store remembers it for the
        counter's period, so a retry with the same `op_id` is applied at most once and
        returns the total of the first application. `StoreUnavailable` means not applied;
        its subclass `OutcomeUnknown` (with `.op_id`) means it may have been: retry with
        that op id.

        One store round trip in the steady state: the limit is resolved from the entity's
        record in the process's record cache, and the store counts only if that record is
        still current (else it hands back the current one and the call resolves again)."""
        op_id = op_id or new_op_id()
        record = self.store.get_record(entity_id)
        for _ in range(MAX_STALE_RETRIES):
            ent = self._resolve_record(record)
            try:
                used = counters.consume(
                    self.store,
                    ent,
                    entity_id,
                    counter,
                    amount,
                    self.config,
                    self.clock(),
                    record.token,
                    op_id,
                )
            except StaleRecord as stale:
                record = stale.record
                continue
            return used
        raise ReconcilerError(f"the record of entity {entity_id!r} kept changing while counting")

    def flush_usage(
        self, rate: float | None = None, lease_seconds: float = DEFAULT_LEASE_SECONDS
    ) -> FlushReport:
        """Send the metered usage every process recorded (`consume` on a limit with a
        meter) to Stripe as meter events; safe to run anywhere, any number of times, and
        after a crash (see `reconciler.runtime.meter_flush`). `rate` overrides the meter
        event rate (calls/s) of the key's mode."""
        acquire = shared_acquire(self.store, self.settings.mode, rate)
        return flush_usage(self.store, self.stripe, acquire, lease_seconds)

    def usage(self, entity_id: str, counter: str) -> dict[str, Any]:
        """`{"used", "limit", "remaining"}` for the limit's current window; a metered limit
        adds `meter`, `consumed` (every unit recorded for the meter) and `unflushed` (not
        yet sent to Stripe)."""
        # Counting needs the store, so a down store always fails here, whatever the config.
        ent = self._resolve_record(self.store.get_record(entity_id))
        return counters.usage(self.store, ent, entity_id, counter, self.config)

    def _resolve_record(self, record: EntityRecord, now: float | None = None) -> Entitlements:
        """The record's entitlements against the current catalog view: remembered by record
        token, resolved on a miss (a price the view lacks is read by id first)."""
        now = self.clock() if now is None else now
        view = self.catalog.view()
        answer = self._answers.get(record.token, view, now)
        if answer is not None:
            return answer
        view = self._view_for(record.subscription)
        answer = resolve(record.subscription, view, now)
        self._answers.put(record.token, view, answer)
        return answer
