"""The emulator's whole state: one lock, the clock and every resource collection.

Handlers run with `Emulator.lock` held, so each request sees and leaves a
consistent account. One re-entrant lock is enough: every handler is short.
"""

from __future__ import annotations

import threading
from typing import Any

from reconciler.emulator.errors import missing
from reconciler.emulator.faults import Counters, Faults
from reconciler.emulator.idempotency import IdempotencyStore
from reconciler.emulator.store import Clock, Collection, StripeObject
from reconciler.emulator.webhooks import WebhookDispatcher

# The API version events carry when a request names none.
DEFAULT_API_VERSION = "2026-10-28.endive"

# Id prefix -> (collection attribute, the noun Stripe's 404 message uses).
PREFIXES: dict[str, tuple[str, str]] = {
    "prod_": ("products", "product"),
    "price_": ("prices", "price"),
    "cus_": ("customers", "customer"),
    "pm_": ("payment_methods", "PaymentMethod"),
    "sub_": ("subscriptions", "subscription"),
    "in_": ("invoices", "invoice"),
    "cs_": ("checkout_sessions", "checkout.session"),
    "bps_": ("portal_sessions", "billing_portal.session"),
    "evt_": ("events", "event"),
    "we_": ("webhook_endpoints", "webhook_endpoint"),
}


class Emulator:
    """Everything one emulated Stripe account holds, plus its fault and counter knobs."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.faults = Faults()
        self.counters = Counters()
        self.idempotency = IdempotencyStore()
        self.webhooks = WebhookDispatcher(self.faults)
        self.base_url = ""
        # Bumped by every successful change, so `--data` knows when to save again.
        self.writes = 0
        self.reset_data()

    def reset_data(self) -> None:
        """Forget every object; keep the lock, fault and counter objects themselves."""
        self.products = Collection()
        self.prices = Collection()
        self.customers = Collection()
        self.payment_methods = Collection()
        self.subscriptions = Collection()
        self.invoices = Collection()
        self.checkout_sessions = Collection()
        self.portal_sessions = Collection()
        self.events = Collection()
        self.webhook_endpoints = Collection()
        # Stripe hides a price's tiers unless `expand[]=tiers`, so they live apart.
        self.price_tiers: dict[str, list[dict[str, Any]]] = {}
        self.webhook_secrets: dict[str, str] = {}
        # lookup_key -> price id: Stripe keeps lookup keys unique across the account.
        self.lookup_keys: dict[str, str] = {}
        # Checkout session id -> line items and subscription_data, which Stripe keeps hidden.
        self.checkout_inputs: dict[str, dict[str, Any]] = {}
        self.deleted_customers: set[str] = set()

    def reset(self) -> None:
        """Everything `POST /_emulator/reset` promises: data, faults, counters, keys, clock."""
        with self.lock:
            self.reset_data()
            self.clock.offset = 0
            self.faults.clear()
            self.counters.reset()
            self.idempotency.clear()
            self.webhooks.clear()

    def collection_named(self, name: str) -> Collection:
        collection = getattr(self, name)
        assert isinstance(collection, Collection)
        return collection

    def lookup(self, object_id: str) -> StripeObject | None:
        """Find any object by id, using its prefix to pick the collection."""
        for prefix, (attribute, _) in PREFIXES.items():
            if object_id.startswith(prefix):
                return self.collection_named(attribute).get(object_id)
        return None

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def require(self, attribute: str, object_id: Any, param: str = "id") -> StripeObject:
        """The object with `object_id` in collection `attribute`, or Stripe's 404."""
        found = self.collection_named(attribute).get(str(object_id))
        if found is None:
            noun = next(noun for name, noun in PREFIXES.values() if name == attribute)
            raise missing(noun, str(object_id), param)
        return found
