"""The assembled `/v1` API: every resource registers its routes and event listeners on one
router, built here, above them all (the router itself imports no resource).

A new endpoint module gets a `register(router)` and a place in `RESOURCES`.
"""

from __future__ import annotations

from reconciler.emulator import (
    checkout,
    coupons,
    customers,
    entitlement_summary,
    entitlements,
    event_routes,
    meter_events,
    meters,
    portal,
    portal_configurations,
    prices,
    product_routes,
    promotion_codes,
    subscriptions,
)
from reconciler.emulator.router import Router
from reconciler.emulator.state import Emulator

# In the order their routes are matched.
RESOURCES = (
    product_routes,
    prices,
    customers,
    subscriptions,
    checkout,
    portal,
    portal_configurations,
    event_routes,
    meters,
    meter_events,
    entitlements,
    entitlement_summary,
    coupons,
    promotion_codes,
)


def build_router() -> Router:
    """Every resource's routes and event listeners, in one table."""
    router = Router()
    for module in RESOURCES:
        module.register(router)
    return router


ROUTER = build_router()


def new_emulator() -> Emulator:
    """An empty account whose events reach every resource's listeners."""
    return Emulator(ROUTER.listeners)
