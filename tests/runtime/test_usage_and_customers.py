"""Usage counters and customer creation under concurrency, period rollover on the emulator's
clock, and the store-down behaviour, on real Redis and on the SQLite file."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest
import stripe

from reconciler.errors import LimitExceeded, ReconcilerError, StoreUnavailable
from reconciler.model import UNLIMITED, Plans
from reconciler.runtime.store import Store, open_store
from reconciler.testing import EmulatorControl, free_port
from tests.runtime.conftest import Served, make_billing


def with_defaults(plans: Plans, **limits: int) -> Plans:
    """The example plans with no default product: the default grant is `limits` alone."""
    return replace(plans, config=replace(plans.config, default_plan=None, default_limits=limits))


def test_16_threads_x_500_consume_never_exceed_the_limit(
    emulator: EmulatorControl, plans: Plans, any_store: Store
) -> None:
    billing = make_billing(emulator, with_defaults(plans, credits=5000), any_store)
    accepted: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        ok = no = 0
        for _ in range(500):
            try:
                billing.consume("org_1", "credits")
                ok += 1
            except LimitExceeded as exc:
                assert (exc.used, exc.limit) == (5000, 5000)
                no += 1
        with lock:
            accepted.append(ok)
            refused.append(no)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(accepted) == 5000
    assert sum(refused) == 3000
    assert billing.usage("org_1", "credits") == {"used": 5000, "limit": 5000, "remaining": 0}
    assert billing.usage("org_1", "limits:credits") == {"used": 5000, "limit": 5000, "remaining": 0}


def test_consume_amounts_and_unknown_counters(
    emulator: EmulatorControl, plans: Plans, any_store: Store
) -> None:
    billing = make_billing(emulator, plans, any_store)
    assert billing.consume("user_1", "standard-credits", 60) == 60
    with pytest.raises(LimitExceeded) as caught:
        billing.consume("user_1", "limits:standard-credits", 41)
    assert (
        str(caught.value) == "limit 'standard-credits' exceeded: 60 of 100 used, 41 more requested"
    )
    assert billing.consume("user_1", "standard-credits", 40) == 100
    assert billing.usage("user_1", "standard-credits") == {
        "used": 100,
        "limit": 100,
        "remaining": 0,
    }
    with pytest.raises(LimitExceeded):
        billing.consume("user_1", "premium-credits")  # the free plan's limit is 0
    with pytest.raises(ReconcilerError) as unknown:
        billing.consume("user_1", "stardard-credits")
    assert str(unknown.value) == (
        "no limit named 'stardard-credits' on plan 'free' (set it in the plan files or in "
        "default_limits of reconciler.yaml)"
    )


def test_unlimited_counters_count_without_a_cap(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    price_ids: dict[str, str],
    any_store: Store,
) -> None:
    stripe_client.v1.prices.update(
        price_ids["free_monthly"], params={"metadata": {"limits:seats": "unlimited"}}
    )
    billing = make_billing(emulator, plans, any_store)
    assert billing.limit("user_1", "seats") is UNLIMITED
    assert billing.consume("user_1", "seats", 10_000) == 10_000
    assert billing.usage("user_1", "seats") == {
        "used": 10_000,
        "limit": "unlimited",
        "remaining": "unlimited",
    }
    assert billing.entitlements("user_1")["limits"]["seats"] == "unlimited"


def test_concurrent_create_customer_makes_one_customer(
    emulator: EmulatorControl, stripe_client: stripe.StripeClient, plans: Plans, any_store: Store
) -> None:
    # Two Billing objects on one store stand in for two processes.
    billings = [make_billing(emulator, plans, any_store) for _ in range(2)]
    results: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        customer = billings[index % 2].create_stripe_customer("org_7", email="o@example.com")
        with lock:
            results.append(customer)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    found = stripe_client.v1.customers.search(params={"query": "metadata['entityId']:'org_7'"})
    assert [c.id for c in found.data] == results[:1]
    assert stripe_client.v1.customers.list(params={"limit": 100}).data[0].email == "o@example.com"


@pytest.mark.parametrize(("point", "creates"), [("after", 1), ("during", 2)])
def test_create_customer_settles_a_saved_500(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    redis_store: Store,
    point: str,
    creates: int,
) -> None:
    # Stripe saves a 500 for the key once execution began (docs: api/idempotent_requests):
    # "after" the customer exists, "during" it does not; either way one customer results.
    rule = {"method": "POST", "path_prefix": "/v1/customers", "count": 1, "point": point}
    emulator.faults(fail_requests=[rule])
    billing = make_billing(emulator, plans, redis_store)
    customer = billing.create_stripe_customer("org_500", email="s@example.com")
    listed = stripe_client.v1.customers.list(params={"limit": 100}).data
    assert [c.id for c in listed] == [customer]
    assert listed[0].metadata is not None and listed[0].metadata["entityId"] == "org_500"
    assert redis_store.get_customer("org_500") == customer
    assert emulator.counters()["by_route"]["POST /v1/customers"] == creates


def test_lost_mapping_adopts_the_existing_customer(
    emulator: EmulatorControl, plans: Plans, tmp_path: Path, stripe_client: stripe.StripeClient
) -> None:
    first = make_billing(emulator, plans, open_store(f"sqlite:///{tmp_path / 'a.sqlite3'}"))
    customer = first.create_stripe_customer("user_5")
    fresh = make_billing(emulator, plans, open_store(f"sqlite:///{tmp_path / 'b.sqlite3'}"))
    assert fresh.create_stripe_customer("user_5") == customer
    assert len(stripe_client.v1.customers.list(params={"limit": 100}).data) == 1


def test_period_rollover_starts_counters_afresh(served: Served, emulator: EmulatorControl) -> None:
    billing = served.billing
    session = billing.checkout_session("user_1", "pro_monthly")
    emulator.complete_checkout(session.id)
    emulator.flush_webhooks()
    before = billing.get_subscription("user_1")
    assert billing.limit("user_1", "premium-credits") == 500
    billing.consume("user_1", "premium-credits", 500)
    with pytest.raises(LimitExceeded):
        billing.consume("user_1", "premium-credits")
    emulator.advance(before["current_period_end"] - emulator.now() + 60)
    emulator.flush_webhooks()
    after = billing.get_subscription("user_1")
    assert after["current_period_start"] == before["current_period_end"]
    assert after["status"] == "active"
    assert billing.usage("user_1", "premium-credits") == {"used": 0, "limit": 500, "remaining": 500}
    assert billing.consume("user_1", "premium-credits") == 1


def test_store_down_fails_closed_by_default(emulator: EmulatorControl, plans: Plans) -> None:
    down = open_store(f"redis://127.0.0.1:{free_port()}/0")
    billing = make_billing(emulator, plans, down)
    with pytest.raises(StoreUnavailable, match="is unreachable"):
        billing.entitlements("user_1")
    with pytest.raises(StoreUnavailable):
        billing.has_feature("user_1", "Standard Credits")


def test_store_down_answers_the_default_plan_when_configured(
    emulator: EmulatorControl, plans: Plans, price_ids: dict[str, str]
) -> None:
    lenient = replace(plans, config=replace(plans.config, on_store_unavailable="default_plan"))
    billing = make_billing(emulator, lenient, open_store(f"redis://127.0.0.1:{free_port()}/0"))
    assert billing.entitlements("user_1") == {
        "status": "unknown",
        "plan": "free",
        "limits": {"standard-credits": 100, "premium-credits": 0, "seats": 1},
        "features": {"Standard Credits": 100, "Premium Credits": 0, "Priority Support": False},
    }
    with pytest.raises(StoreUnavailable):
        billing.consume("user_1", "seats")  # counting always needs the store
