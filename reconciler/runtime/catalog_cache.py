"""The catalog view, cached in the process and shared through the store.

A process keeps its view for `local_ttl` seconds, then re-reads the store's copy (one GET);
the store's copy is replaced by `refresh()` (on `product.*` / `price.*` webhooks, and when it
is older than `max_age`; if Stripe cannot be read then, the old copy keeps answering).
Stripe is read with list calls: every page, never one call per price. A subscription's price
that the view lacks (created after the last read, or missed by a list as in stripe-python#1724)
is read by id once per process (`including`) and kept until the next `refresh()`, so an
entity is never moved to the default plan merely because a list lacked its price. When the
store is down the process keeps its last view or reads Stripe itself.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable

from reconciler.errors import StoreUnavailable, StripeCallError
from reconciler.model import Plans
from reconciler.runtime.catalog import CatalogView, PlanPrice, build_view, plan_price
from reconciler.runtime.store.base import Store
from reconciler.stripe_catalog import LiveCatalog, LivePrice, LiveProduct

PriceReader = Callable[[str], tuple[LivePrice, LiveProduct] | None]

LOCAL_TTL_SECONDS = 30.0
MAX_AGE_SECONDS = 900.0


class CatalogCache:
    """The current `CatalogView`, loaded at most once per `local_ttl` per process."""

    def __init__(
        self,
        store: Store,
        read_live: Callable[[], LiveCatalog],
        read_price: PriceReader,
        plans: Plans,
        local_ttl: float = LOCAL_TTL_SECONDS,
        max_age: float = MAX_AGE_SECONDS,
    ) -> None:
        self._store = store
        self._read_live = read_live
        self._read_price = read_price
        # Prices read by id (None: Stripe has no such price), until the next refresh.
        self._by_id: dict[str, PlanPrice | None] = {}
        self._plans = plans
        self._local_ttl = local_ttl
        self._max_age = max_age
        self._view: CatalogView | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def view(self) -> CatalogView:
        """The current view; cheap (no I/O) while the process copy is fresh."""
        view = self._view
        if view is not None and time.monotonic() - self._loaded_at < self._local_ttl:
            return view
        with self._lock:
            if self._view is not None and time.monotonic() - self._loaded_at < self._local_ttl:
                return self._view
            return self._load()

    def _load(self) -> CatalogView:
        try:
            text = self._store.get_catalog()
        except StoreUnavailable:
            if self._view is not None:
                self._loaded_at = time.monotonic()
                return self._view
            return self._remember(self._from_stripe())
        shared = CatalogView.from_json(text) if text else None
        if shared is not None and time.time() - shared.fetched_at < self._max_age:
            return self._remember(shared)
        try:
            return self._publish(self._from_stripe())
        except StripeCallError:
            # Stripe is down: an old catalog answers better than no answer on the hot path.
            fallback = shared or self._view
            if fallback is None:
                raise
            return self._remember(fallback)

    def refresh(self) -> CatalogView:
        """Read Stripe now and share the result through the store."""
        with self._lock:
            self._by_id.clear()
            return self._publish(self._from_stripe())

    def including(self, price_ids: Iterable[str]) -> CatalogView:
        """The current view, plus each of `price_ids` it lacks, read from Stripe by id (one
        request per price, once per process until the next `refresh()`). A price Stripe does
        not have stays out of the view; a failed read raises `StripeCallError`."""
        view = self.view()
        wanted = [
            pid
            for pid in dict.fromkeys(price_ids)
            if view.price(pid) is None and pid not in self._by_id
        ]
        if not wanted:
            return view
        defaults = self._plans.config.default_limits
        read: dict[str, PlanPrice | None] = {}
        for price_id in wanted:
            found = self._read_price(price_id)
            read[price_id] = None if found is None else plan_price(*found, defaults)
        with self._lock:
            self._by_id.update(read)
            return self._remember(self._view or view)

    def _from_stripe(self) -> CatalogView:
        return build_view(self._read_live(), self._plans, time.time())

    def _publish(self, view: CatalogView) -> CatalogView:
        # When the store is down this process still answers; the next load shares the view.
        with contextlib.suppress(StoreUnavailable):
            self._store.set_catalog(view.to_json())
        return self._remember(view)

    def _remember(self, view: CatalogView) -> CatalogView:
        view = view.with_prices({k: p for k, p in self._by_id.items() if p is not None})
        self._view = view
        self._loaded_at = time.monotonic()
        return view
