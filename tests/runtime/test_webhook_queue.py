"""Deliveries answered from the recorded event, re-reads done from the store's queue: one
re-read per customer however many events came, unknown customers dropped and logged, a queue
left by a stopped process drained by the next one, and re-reads paced by the limiter."""

from __future__ import annotations

import time

import pytest

from reconciler.model import Plans
from reconciler.ratelimit import LocalRateLimiter
from reconciler.runtime.billing import Billing
from reconciler.runtime.store import Store, open_store
from reconciler.runtime.sync_queue import QUEUE, SyncQueue
from reconciler.runtime.webhooks import WebhookResult
from reconciler.testing import EmulatorControl
from tests.backfill.test_ratelimit import FakeClock
from tests.runtime.conftest import make_billing
from tests.runtime.test_webhooks import event, signed, subscription_reads

SECRET = "whsec_queue_tests"


def receive(billing: Billing, event_id: str, kind: str, obj: dict[str, object]) -> WebhookResult:
    payload = event(event_id, kind, obj)
    return billing.receive_webhook(payload, signed(payload, SECRET))


def drain(queue: SyncQueue) -> int:
    done = 0
    while queue.work_once():
        done += 1
    return done


def test_many_events_of_one_customer_cost_one_reread(
    emulator: EmulatorControl, plans: Plans, redis_store: Store, price_ids: dict[str, str]
) -> None:
    billing = make_billing(emulator, plans, redis_store, SECRET)
    first = billing.create_stripe_customer("user_1")
    second = billing.create_stripe_customer("user_2")
    emulator.reset_counters()
    answers = [receive(billing, f"evt_a{n}", "invoice.paid", {"customer": first}) for n in range(5)]
    answers += [
        receive(billing, f"evt_b{n}", "customer.subscription.updated", {"customer": second})
        for n in range(3)
    ]
    answers.append(receive(billing, "evt_a0", "invoice.paid", {"customer": first}))
    assert [a.action for a in answers] == ["queued"] * 8 + ["duplicate"]
    assert emulator.counters()["total"] == 0  # answered without calling Stripe
    assert redis_store.queue_length(QUEUE) == 2
    assert drain(billing.webhook_queue(rate=1000)) == 2
    assert subscription_reads(emulator) == 2
    assert billing.get_subscription("user_1") == {"status": "none"}
    assert redis_store.queue_length(QUEUE) == 0


def test_a_customer_unknown_to_stripe_is_dropped_and_logged(
    emulator: EmulatorControl,
    plans: Plans,
    redis_store: Store,
    price_ids: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    billing = make_billing(emulator, plans, redis_store, SECRET)
    assert receive(billing, "evt_g", "invoice.paid", {"customer": "cus_ghost"}).action == "queued"
    with caplog.at_level("WARNING", logger="reconciler.sync_queue"):
        assert drain(billing.webhook_queue(rate=1000)) == 1
    (record,) = [r for r in caplog.records if r.name == "reconciler.sync_queue"]
    assert record.getMessage().startswith(
        "ignored customer:cus_ghost: reading customer cus_ghost: No such customer: 'cus_ghost'"
    )
    assert redis_store.queue_length(QUEUE) == 0


def test_a_failed_reread_is_tried_again_later(
    emulator: EmulatorControl, plans: Plans, redis_store: Store, price_ids: dict[str, str]
) -> None:
    billing = make_billing(emulator, plans, redis_store, SECRET)
    customer = billing.create_stripe_customer("user_1")
    receive(billing, "evt_1", "invoice.paid", {"customer": customer})
    now = [time.time()]  # the enqueue above used the real clock
    queue = SyncQueue(
        redis_store,
        billing.sync,
        billing.refresh_catalog,
        LocalRateLimiter(1000),
        retry_seconds=5,
        clock=lambda: now[0],
    )
    emulator.faults(error_rate=1.0)
    assert queue.work_once() is True
    emulator.clear_faults()
    assert queue.work_once() is False  # not due until 5 s later
    now[0] += 5
    assert queue.work_once() is True
    assert billing.get_subscription("user_1") == {"status": "none"}
    assert redis_store.queue_length(QUEUE) == 0


def test_a_queue_left_by_a_stopped_server_is_drained_by_the_next_one(
    emulator: EmulatorControl,
    plans: Plans,
    redis_url: str,
    redis_store: Store,
    price_ids: dict[str, str],
) -> None:
    stopped = make_billing(emulator, plans, open_store(redis_url), SECRET)
    customer = stopped.create_stripe_customer("user_1")
    session = stopped.checkout_session("user_1", "standard_monthly")
    emulator.complete_checkout(session.id)
    receive(stopped, "evt_paid", "invoice.paid", {"customer": customer})
    stopped.close()  # the process stops before any re-read
    restarted = make_billing(emulator, plans, redis_store, SECRET)
    assert restarted.get_subscription("user_1") == {"status": "none"}
    assert drain(restarted.webhook_queue(rate=1000)) == 1
    assert restarted.get_subscription("user_1")["status"] == "trialing"  # the plan has a trial


def test_rereads_are_paced_by_the_rate_limiter(
    emulator: EmulatorControl, plans: Plans, redis_store: Store, price_ids: dict[str, str]
) -> None:
    billing = make_billing(emulator, plans, redis_store, SECRET)
    for n in range(20):
        receive(billing, f"evt_{n}", "invoice.paid", {"customer": f"cus_{n}"})
    clock = FakeClock()
    limiter = LocalRateLimiter(10, clock=clock, sleep=clock.sleep)
    queue = SyncQueue(redis_store, billing.sync, billing.refresh_catalog, limiter)
    assert drain(queue) == 20
    # 20 slots at 95 % of 10/s: the first at once, then one every 1/9.5 s.
    assert clock.now - 100.0 == pytest.approx(19 / 9.5)
