"""The runtime's Stripe boundary: customers, subscriptions, Checkout and the Billing Portal.

The only runtime module that calls the SDK (the catalog is read by `reconciler.stripe_catalog`).
Every call turns SDK errors into `StripeCallError` with Stripe's request id; every write
carries an idempotency key so the SDK's retries never create a second object; results are
plain dicts or strings, never `StripeObject`s.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stripe

from reconciler.errors import PortalNotConfigured, StripeCallError
from reconciler.metadata import MANAGED_BY_KEY, MANAGED_BY_VALUE
from reconciler.recovery import created_since, write_once
from reconciler.stripe_catalog import list_all
from reconciler.stripe_client import stripe_errors

ENTITY_ID_KEY = "entityId"


def customer_idempotency_key(entity_id: str) -> str:
    """The same key for every attempt to create one entity's customer (Stripe keeps keys for
    24 hours; the store's lock and the metadata search cover the time after)."""
    digest = hashlib.sha256(entity_id.encode()).hexdigest()[:40]
    return f"reconciler-customer-{digest}"


def _search_literal(value: str) -> str:
    """A value quoted for Stripe's search query language."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _portal_advice(stripe_message: str) -> str:
    """What to do when Stripe has no default portal configuration, in the key's mode."""
    live = "live mode" in stripe_message
    page = "https://dashboard.stripe.com/" + ("" if live else "test/") + "settings/billing/portal"
    return (
        f"the Stripe account has no default Billing Portal configuration in "
        f"{'live' if live else 'test'} mode, so Stripe refuses portal sessions: save the "
        f"customer portal settings once at {page} (that creates the default), or pass "
        "configuration='bpc_...' (a configuration made with the API) to get_portal"
    )


@dataclass(frozen=True)
class CheckoutSession:
    """A hosted Checkout Session: its id (for tests and logs) and the URL to redirect to."""

    id: str
    url: str


# How Stripe refuses a meter event whose identifier it already holds (24 h): the event was
# recorded by an earlier attempt (docs.stripe.com/api/billing/meter-event/create).
DUPLICATE_METER_EVENT = "already exists with identifier"


class RuntimeStripe:
    """Narrow wrapper around a `stripe.StripeClient` for the runtime's calls."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client
        # () once read and the tool keeps none; (id,) for the tool's configuration.
        self._portal_configuration: tuple[str, ...] | None = None

    def find_customer(self, entity_id: str) -> str | None:
        """A customer already carrying `metadata.entityId` (a store that lost its mapping)."""
        query = f"metadata[{_search_literal(ENTITY_ID_KEY)}]:{_search_literal(entity_id)}"
        with stripe_errors(f"searching the customer of entity {entity_id!r}"):
            found = self.client.v1.customers.search(params={"query": query, "limit": 1})
        return str(found.data[0].id) if found.data else None

    def create_customer(
        self, entity_id: str, email: str | None, metadata: Mapping[str, str] | None
    ) -> str:
        """Create the entity's customer. When the outcome stays unknown (a 5xx saved for the
        key, a lost connection), the customers created since the call began are read back
        (a list: search lags behind writes) and the create is sent again with a new key only
        when none carries the entity id (reconciler.recovery)."""
        params: Any = {"metadata": {**(metadata or {}), ENTITY_ID_KEY: entity_id}}
        if email:
            params["email"] = email
        started = time.time()

        def create(key: str) -> str:
            options: Any = {"idempotency_key": key}
            return str(self.client.v1.customers.create(params=params, options=options).id)

        def find() -> str | None:
            recent = {"created": created_since(started)}
            for customer in list_all(self.client.v1.customers, recent):
                if (customer.get("metadata") or {}).get(ENTITY_ID_KEY) == entity_id:
                    return str(customer["id"])
            return None

        with stripe_errors(f"creating the customer of entity {entity_id!r}"):
            return write_once(create, find, customer_idempotency_key(entity_id))

    def customer_entity(self, customer_id: str) -> str | None:
        """The `metadata.entityId` of a customer (None when unset or the customer is deleted)."""
        with stripe_errors(f"reading customer {customer_id}"):
            customer = self.client.v1.customers.retrieve(customer_id)
        raw = customer.to_dict()
        if raw.get("deleted"):
            return None
        value = (raw.get("metadata") or {}).get(ENTITY_ID_KEY)
        return str(value) if value else None

    def list_subscriptions(self, customer_id: str) -> list[dict[str, Any]]:
        """Every subscription of the customer, any status, payment method expanded."""
        params = {
            "customer": customer_id,
            "status": "all",
            "expand": ["data.default_payment_method"],
        }
        with stripe_errors(f"listing the subscriptions of customer {customer_id}"):
            return list(list_all(self.client.v1.subscriptions, params))

    def create_checkout(
        self,
        customer_id: str,
        price_id: str,
        mode: str,
        success_url: str,
        cancel_url: str,
        extra: Mapping[str, Any],
    ) -> CheckoutSession:
        params: Any = {
            "customer": customer_id,
            "mode": mode,
            "line_items": [{"price": price_id, "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
            **extra,
        }
        # A fresh key per call: each call is a new session, but a retried request is not.
        options: Any = {"idempotency_key": f"reconciler-checkout-{uuid.uuid4().hex}"}
        with stripe_errors(f"creating a Checkout Session for customer {customer_id}"):
            session = self.client.v1.checkout.sessions.create(params=params, options=options)
        return CheckoutSession(id=str(session.id), url=str(session.url))

    def portal_configuration(self) -> str | None:
        """The active Billing Portal configuration `apply` keeps (metadata managed-by), read
        once. Stripe uses the account's default configuration for sessions that name none,
        and only the Dashboard makes that one, so on a fresh account the portal needs this."""
        if self._portal_configuration is None:
            params: Any = {"active": True}
            with stripe_errors("listing the Billing Portal configurations"):
                found = list_all(self.client.v1.billing_portal.configurations, params)
            self._portal_configuration = tuple(
                str(c["id"])
                for c in found
                if (c.get("metadata") or {}).get(MANAGED_BY_KEY) == MANAGED_BY_VALUE
            )[:1]
        return self._portal_configuration[0] if self._portal_configuration else None

    def create_portal(
        self, customer_id: str, return_url: str | None, configuration: str | None = None
    ) -> str:
        """A portal session URL; `PortalNotConfigured` when the account has no default
        configuration and `configuration` names none (Stripe refuses the session then)."""
        params: Any = {"customer": customer_id}
        if return_url:
            params["return_url"] = return_url
        configuration = configuration or self.portal_configuration()
        if configuration:
            params["configuration"] = configuration
        options: Any = {"idempotency_key": f"reconciler-portal-{uuid.uuid4().hex}"}
        with stripe_errors(f"creating a Billing Portal session for customer {customer_id}"):
            try:
                session = self.client.v1.billing_portal.sessions.create(
                    params=params, options=options
                )
            except stripe.InvalidRequestError as exc:
                message = exc.user_message or ""
                if message.startswith("No configuration provided"):
                    raise PortalNotConfigured(_portal_advice(message)) from exc
                raise
        return str(session.url)

    def send_meter_event(
        self, event_name: str, customer_id: str, value: int, identifier: str, timestamp: int
    ) -> bool:
        """Record `value` units on the meter with `event_name` for the customer, as the event
        `identifier` (its idempotency key too). False when Stripe already holds an event with
        that identifier: an earlier attempt recorded it, and it is not billed again."""
        params: Any = {
            "event_name": event_name,
            "identifier": identifier,
            "timestamp": timestamp,
            "payload": {"stripe_customer_id": customer_id, "value": str(value)},
        }
        options: Any = {"idempotency_key": f"reconciler-meter-{identifier}"}
        try:
            with stripe_errors(f"sending meter event {identifier}"):
                self.client.v1.billing.meter_events.create(params=params, options=options)
        except StripeCallError as exc:
            if DUPLICATE_METER_EVENT in str(exc):
                return False
            raise
        return True
