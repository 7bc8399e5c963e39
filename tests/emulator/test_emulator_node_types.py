"""Every answer of the emulator, checked against stripe-node's types for the pinned version.

A flow through the official Python SDK touches every route the emulator serves, in the
states that shape an object (trialing, canceled and incomplete subscriptions, a completed
Checkout Session, tiered, metered and decimal prices, expanded fields, deleted objects, list
and search envelopes, errors); a recording proxy keeps each JSON answer, and
`node_types.typecheck` runs `tsc --strict` over them. Events are checked as `GET /v1/events`
answers them, each against the member of `Stripe.Event` its `type` names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from reconciler.emulator.entitlement_summary import EVENT as ENTITLEMENT_SUMMARY_EVENT
from reconciler.emulator.routes import build_router
from reconciler.testing import EmulatorControl
from tests.emulator import node_types_flow as flow
from tests.emulator.conftest import Target
from tests.emulator.node_types import render, summary, typecheck
from tests.emulator.recorder import RecordingProxy, recording_proxy

pytestmark = pytest.mark.emulator_only
EMULATOR = Path(__file__).resolve().parents[2] / "reconciler" / "emulator"
# Every event type the emulator sends (test_the_flow_sees_every_event_type_the_emulator_emits
# holds this list to the emulator's source).
EVENT_TYPES = {
    "billing.meter.created",
    "billing.meter.deactivated",
    "billing.meter.reactivated",
    "billing.meter.updated",
    "billing_portal.configuration.created",
    "billing_portal.configuration.updated",
    "checkout.session.completed",
    "coupon.created",
    "coupon.deleted",
    "coupon.updated",
    "customer.created",
    "customer.deleted",
    "customer.subscription.created",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "customer.subscription.updated",
    "customer.updated",
    "entitlements.active_entitlement_summary.updated",
    "invoice.created",
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.payment_succeeded",
    "payment_method.attached",
    "payment_method.detached",
    "price.created",
    "price.updated",
    "product.created",
    "product.deleted",
    "product.updated",
    "promotion_code.created",
    "promotion_code.updated",
}


ROUTER = build_router()
ROUTES = {f"{route.method} {route.label}" for route in ROUTER.routes}


@pytest.fixture
def proxy(target: Target) -> Iterator[RecordingProxy]:
    with recording_proxy(target.url) as running:
        yield running


@pytest.fixture
def recorded_client(target: Target, proxy: RecordingProxy) -> stripe.StripeClient:
    return stripe.StripeClient(target.key, base_addresses={"api": proxy.url}, max_network_retries=0)


def test_every_answer_matches_stripe_node_types(
    recorded_client: stripe.StripeClient,
    proxy: RecordingProxy,
    control: EmulatorControl,
    node_tools: Path,
    tmp_path: Path,
) -> None:
    client = recorded_client
    made = flow.catalog(client)
    flow.billing(client, control, made)
    flow.checkout_and_portal(client, control, made)
    flow.coupons_and_the_rest(client, made)
    flow.errors(client, proxy.url)
    seen_events = flow.every_event_type(client)

    assert sorted(EVENT_TYPES - seen_events) == []
    # Every route answered at least once, errors included.
    answered = {ROUTER.label_for(a.method, a.path.split("?")[0]) for a in proxy.answers}
    assert sorted(ROUTES - answered) == []
    assert sorted({a.status for a in proxy.answers}) == [200, 400, 401, 402, 404]
    findings = typecheck(render([(a.label, a.body) for a in proxy.answers]), tmp_path, node_tools)
    assert summary(findings) == []


def test_the_flow_sees_every_event_type_the_emulator_emits() -> None:
    """EVENT_TYPES holds every event type the emulator's modules pass to `emit`: string
    literals, the meter's `billing.meter.{kind}` and the summary's EVENT constant."""
    emitted: set[str] = {ENTITLEMENT_SUMMARY_EVENT}
    for module in EMULATOR.glob("*.py"):
        text = module.read_text()
        emitted.update(re.findall(r'emit\(\s*emulator,\s*"([a-z_.]+)"', text))
        if 'emit(emulator, f"billing.meter.{kind}"' in text:
            emitted.update({"billing.meter.deactivated", "billing.meter.reactivated"})
    assert sorted(emitted ^ EVENT_TYPES) == []
