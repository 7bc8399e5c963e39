"""Base fee plus per-seat price on one product, end to end: plan files pushed to the emulator, a
subscription with both prices (and a credit pack), webhooks to the served app, answers from a
real Redis store."""

from __future__ import annotations

from stripe.params import SubscriptionCreateParamsItem

from reconciler.testing import EmulatorControl
from tests.runtime.conftest import Served

FILES = {
    "reconciler.yaml": "default_limits:\n  seats: 1\n  credits: 0\ndefault_plan: free\n",
    "free.yaml": """product: {key: free, name: Free}
limits: {credits: 10}
prices:
  - {lookup_key: free_monthly, amount: 0, currency: usd, recurring: {interval: month}}
""",
    "team.yaml": """product: {key: team, name: Team}
limits:
  credits: 1000
  api-calls: {value: 100, reset: month}
features: {SSO: true}
prices:
  - {lookup_key: team_base, amount: 4900, currency: usd, recurring: {interval: month}}
  - lookup_key: team_seat
    amount: 900
    currency: usd
    recurring: {interval: month}
    limits: {seats: {per_unit: 1}}
""",
    "credit-pack.yaml": """product: {key: credit-pack, name: Credit pack, add_on: true}
limits: {credits: 500}
prices:
  - {lookup_key: credits_monthly, amount: 1900, currency: usd, recurring: {interval: month}}
""",
}


def test_base_fee_plus_seats_answers_seats_per_unit_and_the_plan_limits_once(
    served: Served, emulator: EmulatorControl, price_ids: dict[str, str]
) -> None:
    billing = served.billing
    customer = billing.create_stripe_customer("org_seats")
    client = billing.stripe.client
    items: list[SubscriptionCreateParamsItem] = [
        {"price": price_ids["team_base"]},
        {"price": price_ids["team_seat"], "quantity": 8},
        {"price": price_ids["credits_monthly"], "quantity": 1},
    ]
    sub = client.v1.subscriptions.create(
        params={"customer": customer, "items": items, "trial_period_days": 14}
    )
    emulator.flush_webhooks()
    assert billing.entitlements("org_seats") == {
        "status": "trialing",
        "plan": "team",
        "limits": {"seats": 8, "credits": 1500, "api-calls": 100},
        "features": {"SSO": True},
    }

    # Two more seats: the seat item's quantity, re-synced by customer.subscription.updated.
    seat = next(i for i in sub["items"].data if i.price.id == price_ids["team_seat"])
    client.v1.subscriptions.update(sub.id, params={"items": [{"id": seat.id, "quantity": 10}]})
    emulator.flush_webhooks()
    assert billing.limit("org_seats", "seats") == 10
    assert billing.limit("org_seats", "credits") == 1500
