"""Add-ons, seats and reset windows end to end: plan files with the richer limit forms pushed
to the emulator, subscriptions made there, webhooks delivered to the served app, answers from a
real Redis store."""

from __future__ import annotations

import pytest
import stripe

from reconciler.errors import LimitExceeded
from reconciler.model import Limit, Plans
from reconciler.runtime.store import Store
from reconciler.testing import EmulatorControl
from tests.runtime.conftest import Served, make_billing

FILES = {
    "reconciler.yaml": "default_limits:\n  seats: 1\n  credits: 0\ndefault_plan: free\n"
    "urls: {checkout_success: https://example.com/ok, checkout_cancel: https://example.com/no}\n",
    "free.yaml": """product: {key: free, name: Free}
limits: {seats: 1, credits: 10, api-calls: 5}
prices:
  - {lookup_key: free_monthly, amount: 0, currency: usd, recurring: {interval: month}}
""",
    "team.yaml": """product: {key: team, name: Team}
limits:
  seats: 2
  credits: 1000
  api-calls: {value: 100, reset: month}
features: {Priority Support: false, Max projects: 5, Support: email}
prices:
  - {lookup_key: team_monthly, amount: 4900, currency: usd, recurring: {interval: month}}
  - {lookup_key: team_yearly, amount: 49000, currency: usd, recurring: {interval: year}}
""",
    "extra-seat.yaml": """product: {key: extra-seat, name: Extra seat, add_on: true}
limits: {seats: {per_unit: 1}}
prices:
  - {lookup_key: seat_monthly, amount: 900, currency: usd, recurring: {interval: month}}
""",
    "credit-pack.yaml": """product: {key: credit-pack, name: Credit pack, add_on: true}
limits: {credits: 500}
features: {Priority Support: true, Max projects: 10, Support: phone}
prices:
  - {lookup_key: credits_monthly, amount: 1900, currency: usd, recurring: {interval: month}}
""",
}


def subscribe(client: stripe.StripeClient, customer: str, items: list[dict[str, object]]) -> str:
    params: dict[str, object] = {"customer": customer, "items": items, "trial_period_days": 30}
    return str(client.v1.subscriptions.create(params=params).id)  # type: ignore[arg-type]


def test_base_plan_with_seats_and_credit_packs_answers_the_summed_limits_until_one_is_removed(
    served: Served, emulator: EmulatorControl, price_ids: dict[str, str]
) -> None:
    billing = served.billing
    customer = billing.create_stripe_customer("org_1")
    client = billing.stripe.client
    sub_id = subscribe(
        client,
        customer,
        [
            {"price": price_ids["team_monthly"]},
            {"price": price_ids["seat_monthly"], "quantity": 3},
            {"price": price_ids["credits_monthly"], "quantity": 2},
        ],
    )
    emulator.flush_webhooks()
    assert billing.entitlements("org_1") == {
        "status": "trialing",
        "plan": "team",
        "limits": {"seats": 5, "credits": 2000, "api-calls": 100},
        "features": {"Priority Support": True, "Max projects": 10, "Support": "email"},
    }
    assert billing.limit("org_1", "seats") == 5

    # The application's own billing page removes the credit packs: the item is deleted and
    # Stripe sends customer.subscription.updated. (Stripe's Portal cannot do this: it only
    # cancels a subscription with multiple products; tests/browser/test_portal_add_ons.py
    # removes an add-on sold as its own subscription there.)
    sub = client.v1.subscriptions.retrieve(sub_id)
    pack = next(i for i in sub["items"].data if i.price.id == price_ids["credits_monthly"])
    client.v1.subscriptions.update(sub_id, params={"items": [{"id": pack.id, "deleted": True}]})
    emulator.flush_webhooks()
    assert billing.entitlements("org_1") == {
        "status": "trialing",
        "plan": "team",
        "limits": {"seats": 5, "credits": 1000, "api-calls": 100},
        "features": {"Priority Support": False, "Max projects": 5, "Support": "email"},
    }


def test_get_limits_and_get_plans_show_the_declared_forms(
    emulator: EmulatorControl, plans: Plans, price_ids: dict[str, str], redis_store: Store
) -> None:
    billing = make_billing(emulator, plans, redis_store)
    assert billing.get_limits("team_yearly") == {
        "seats": 2,
        "credits": 1000,
        "api-calls": Limit(100, reset="month"),
    }
    assert billing.get_limits("seat_monthly") == {"seats": Limit(1, per_unit=True)}
    by_key = {p["lookup_key"]: p for p in billing.get_plans()}
    assert by_key["team_yearly"]["limits"]["api-calls"] == {"value": 100, "reset": "month"}
    assert (by_key["seat_monthly"]["add_on"], by_key["team_yearly"]["add_on"]) == (True, False)


def test_a_monthly_limit_on_a_yearly_price_resets_at_each_month_boundary(
    emulator: EmulatorControl, plans: Plans, price_ids: dict[str, str], redis_store: Store
) -> None:
    now = [float(emulator.now())]
    billing = make_billing(emulator, plans, redis_store)
    billing.clock = lambda: now[0]
    customer = billing.create_stripe_customer("org_2")
    emulator.complete_checkout(billing.checkout_session("org_2", "team_yearly").id)
    billing.sync(customer)
    year = billing.get_subscription("org_2")
    assert year["status"] == "active"
    assert year["current_period_end"] - year["current_period_start"] >= 365 * 86_400
    # The clock starts when the subscription does: taken before the checkout, a checkout
    # completed a second later (a loaded machine) would put the first consume in the month
    # before the subscription's first window.
    now[0] = float(year["current_period_start"])

    assert billing.consume("org_2", "api-calls", 100) == 100
    with pytest.raises(LimitExceeded):
        billing.consume("org_2", "api-calls")
    now[0] = float(emulator.advance(20 * 86_400))  # the same month of the subscription
    with pytest.raises(LimitExceeded):
        billing.consume("org_2", "api-calls")
    now[0] = float(emulator.advance(12 * 86_400))  # 32 days in: the second month
    assert billing.usage("org_2", "api-calls") == {"used": 0, "limit": 100, "remaining": 100}
    assert billing.consume("org_2", "api-calls", 7) == 7
    # Billing-period limits on the same yearly price did not reset.
    assert billing.consume("org_2", "credits", 10) == 10
    now[0] = float(emulator.advance(40 * 86_400))
    assert billing.usage("org_2", "credits")["used"] == 10
    assert billing.usage("org_2", "api-calls")["used"] == 0


def test_a_newer_add_on_subscription_does_not_govern(
    emulator: EmulatorControl, plans: Plans, price_ids: dict[str, str], redis_store: Store
) -> None:
    billing = make_billing(emulator, plans, redis_store)
    customer = billing.create_stripe_customer("org_3")
    client = billing.stripe.client
    base = subscribe(client, customer, [{"price": price_ids["team_monthly"]}])
    emulator.advance(3600)  # the credit packs come an hour later, on their own subscription
    subscribe(client, customer, [{"price": price_ids["credits_monthly"], "quantity": 2}])
    billing.sync(customer)
    governing = billing.get_subscription("org_3")
    assert (governing["subscription_id"], governing["price_id"]) == (
        base,
        price_ids["team_monthly"],
    )
    assert billing.entitlements("org_3")["limits"] == {
        "seats": 2,
        "credits": 2000,
        "api-calls": 100,
    }
