"""The emulator's whole state: one lock, the clock and every resource collection.

Handlers run with `Emulator.lock` held, so each request sees and leaves a
consistent account. One re-entrant lock is enough: every handler is short.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import missing
from reconciler.emulator.faults import Counters, Faults
from reconciler.emulator.idempotency import IdempotencyStore
from reconciler.emulator.store import Clock, Collection, StripeObject
from reconciler.emulator.webhooks import WebhookDispatcher

if TYPE_CHECKING:
    from reconciler.emulator.call import Call

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
    "bpc_": ("portal_configurations", "configuration"),
    "evt_": ("events", "event"),
    "we_": ("webhook_endpoints", "webhook_endpoint"),
    "mtr_": ("meters", "billing.meter"),
    "feat_": ("features", "feature"),
    "prodft_": ("product_features", "product feature"),
    "promo_": ("promotion_codes", "promotion code"),
}
# Coupons take any id the caller chooses, so no prefix finds them.
UNPREFIXED: dict[str, str] = {"coupons": "coupon"}
# Every collection attribute -> the noun Stripe's 404 message uses.
COLLECTIONS: dict[str, str] = {**dict(PREFIXES.values()), **UNPREFIXED}
# Fields Stripe leaves out of an answer unless asked for with `expand[]` ("includable").
INCLUDABLE = (
    "price.tiers",
    "price.currency_options",
    "coupon.applies_to",
    "coupon.currency_options",
)


# Told of every event once it is recorded and queued for delivery: (emulator, event type,
# the object as it is now, the call that caused it). Resources hand theirs to the router
# (`Router.on_event`); whoever builds an `Emulator` passes the router's listeners in.
EventListener = Callable[["Emulator", str, StripeObject, "Call | None"], None]


class Emulator:
    """Everything one emulated Stripe account holds, plus its fault and counter knobs.

    `listeners` react to the events that `events.emit` raises (the entitlement summary is
    one): the ground floor calls them without importing the resources that declare them.
    """

    def __init__(self, listeners: Sequence[EventListener]) -> None:
        self.listeners = tuple(listeners)
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
        self.subscriptions = Collection(index_by="customer")
        self.invoices = Collection()
        self.checkout_sessions = Collection()
        self.portal_sessions = Collection()
        self.portal_configurations = Collection()
        self.events = Collection()
        self.webhook_endpoints = Collection()
        self.meters = Collection()
        self.features = Collection()
        self.product_features = Collection()
        self.coupons = Collection()
        self.promotion_codes = Collection()
        # Stripe hides includable fields (a price's tiers, ...) unless expanded, so they
        # live apart: "object.field" -> object id -> value.
        self.includable: dict[str, dict[str, Any]] = {name: {} for name in INCLUDABLE}
        # Meter events have no id and no list endpoint: kept in arrival order as
        # {"event", "meters": ids of the meters that counted it}, with identifier ->
        # the emulator time it was first seen (for the 24 h dedupe).
        self.meter_events: list[dict[str, Any]] = []
        self.meter_event_identifiers: dict[str, int] = {}
        # product feature id -> the product it is attached to.
        self.product_feature_owner: dict[str, str] = {}
        self.webhook_secrets: dict[str, str] = {}
        # lookup_key -> price id: Stripe keeps lookup keys unique across the account.
        self.lookup_keys: dict[str, str] = {}
        # Checkout session id -> line items and subscription_data, which Stripe keeps hidden.
        self.checkout_inputs: dict[str, dict[str, Any]] = {}
        self.deleted_customers: set[str] = set()
        # customer id -> the active entitlements last announced in an
        # `entitlements.active_entitlement_summary.updated` event (none: no entry).
        self.announced_entitlements: dict[str, list[StripeObject]] = {}

    def reset(self) -> None:
        """Everything `POST /_emulator/reset` promises: data, faults, counters, keys, clock."""
        with self.lock:
            self.reset_data()
            self.clock.offset = 0
            self.faults.clear()
            self.counters.reset()
            self.idempotency.clear()
            self.webhooks.clear()

    @property
    def price_tiers(self) -> dict[str, Any]:
        return self.includable["price.tiers"]

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
            raise missing(COLLECTIONS[attribute], str(object_id), param)
        return found
