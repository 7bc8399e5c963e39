"""The subscription lifecycle: starting, renewing, failing, ending, and the clock.

Advancing the emulator clock walks every live subscription through each
period boundary it passed, as Stripe's billing engine would have done in real
time: trials end, invoices are created and charged, scheduled cancellations
take effect, and a customer without a working card falls past due.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.emulator.events import emit
from reconciler.emulator.invoices import collect, create_invoice
from reconciler.emulator.periods import add_interval, next_period_end
from reconciler.emulator.store import StripeObject
from reconciler.emulator.trials import warn, warn_if_due, warning_at

if TYPE_CHECKING:
    from reconciler.emulator.router import Call
    from reconciler.emulator.state import Emulator

# Stripe expires an unpaid first invoice's subscription after 23 hours.
INCOMPLETE_LIFETIME = 23 * 60 * 60
_RENEWING = ("active", "trialing", "past_due")
# Renewals one clock jump may process in all: a guard against jumps of centuries.
_MAX_RENEWALS = 100_000


def payment_method_for(emulator: Emulator, subscription: StripeObject) -> str | None:
    """The card a subscription charges: its own default, else the customer's."""
    if subscription["default_payment_method"]:
        return str(subscription["default_payment_method"])
    customer = emulator.customers.get(subscription["customer"]) or {}
    method = (customer.get("invoice_settings") or {}).get("default_payment_method")
    return str(method) if method else None


def begin(emulator: Emulator, subscription: StripeObject, call: Call | None) -> None:
    """Status and first invoice for a new subscription, with the events Stripe sends."""
    trial = subscription["trial_end"] is not None
    method = payment_method_for(emulator, subscription)
    if trial:
        subscription["status"] = "trialing"
    elif method is not None:
        subscription["status"] = "active"
    else:
        subscription["status"] = "incomplete"
    emit(emulator, "customer.subscription.created", subscription, call)
    warn_if_due(emulator, subscription, call)
    invoice = create_invoice(emulator, subscription, "subscription_create", call, trial)
    if trial or method is not None:
        paid = collect(emulator, invoice, method, call)
        if not paid:
            before = dict(subscription)
            subscription["status"] = "incomplete"
            emit(emulator, "customer.subscription.updated", subscription, call, before)


def end_subscription(
    emulator: Emulator, subscription: StripeObject, call: Call | None, at: int | None = None
) -> None:
    """Cancel now (or at `at`): status canceled, with `customer.subscription.deleted`."""
    moment = emulator.clock.now() if at is None else at
    subscription.update(
        {
            "status": "canceled",
            "canceled_at": subscription["canceled_at"] or moment,
            "ended_at": moment,
        }
    )
    emit(emulator, "customer.subscription.deleted", subscription, call)


def end_trial_now(emulator: Emulator, subscription: StripeObject, call: Call | None) -> None:
    """`trial_end=now` on a subscription in trial: the trial ends, a period starts now (the
    new billing cycle anchor) and is invoiced and charged at once."""
    now = emulator.clock.now()
    recurring = subscription["items"]["data"][0]["price"]["recurring"]
    end = add_interval(now, recurring["interval"], recurring["interval_count"])
    subscription.update({"trial_end": now, "billing_cycle_anchor": now})
    for item in subscription["items"]["data"]:
        item["current_period_start"] = now
        item["current_period_end"] = end
    if subscription["cancel_at_period_end"]:
        subscription["cancel_at"] = end
    invoice = create_invoice(emulator, subscription, "subscription_update", call)
    paid = collect(emulator, invoice, payment_method_for(emulator, subscription), call)
    subscription["status"] = "active" if paid else "past_due"


def _renew(emulator: Emulator, subscription: StripeObject) -> bool:
    """Cross one period boundary; False once the subscription has ended."""
    items = subscription["items"]["data"]
    boundary = items[0]["current_period_end"]
    if subscription["cancel_at_period_end"] or (
        subscription["cancel_at"] is not None and subscription["cancel_at"] <= boundary
    ):
        end_subscription(emulator, subscription, None, boundary)
        return False
    before = snapshot(subscription)
    recurring = items[0]["price"]["recurring"]
    new_end = next_period_end(
        subscription["billing_cycle_anchor"],
        boundary,
        recurring["interval"],
        recurring["interval_count"],
    )
    for item in items:
        item["current_period_start"] = boundary
        item["current_period_end"] = new_end
    method = payment_method_for(emulator, subscription)
    invoice = create_invoice(emulator, subscription, "subscription_cycle", None)
    paid = collect(emulator, invoice, method, None)
    subscription["status"] = "active" if paid else "past_due"
    emit(emulator, "customer.subscription.updated", subscription, None, before)
    return True


def snapshot(subscription: StripeObject) -> StripeObject:
    """A copy deep enough that item period changes show in previous_attributes."""
    copied = dict(subscription)
    copied["items"] = {
        **subscription["items"],
        "data": [dict(item) for item in subscription["items"]["data"]],
    }
    return copied


def _expire_incomplete(emulator: Emulator, subscription: StripeObject, now: int) -> None:
    if now - subscription["created"] >= INCOMPLETE_LIFETIME:
        before = dict(subscription)
        subscription.update({"status": "incomplete_expired", "ended_at": now})
        emit(emulator, "customer.subscription.updated", subscription, None, before)


def _due(emulator: Emulator, target: int) -> list[tuple[int, bool, StripeObject]]:
    """What comes due by `target`: (moment, is a renewal, subscription), where the other
    kind is a trial's `customer.subscription.trial_will_end` warning still ahead."""
    now = emulator.clock.now()
    due: list[tuple[int, bool, StripeObject]] = []
    for subscription in emulator.subscriptions.values():
        if subscription["status"] not in _RENEWING:
            continue
        boundary = subscription["items"]["data"][0]["current_period_end"]
        if boundary <= target:
            due.append((boundary, True, subscription))
        warning = warning_at(subscription)
        if warning is not None and now < warning <= target:
            due.append((warning, False, subscription))
    return due


def advance_clock(emulator: Emulator, seconds: int) -> int:
    """Move emulator time forward and bill everything that came due meanwhile."""
    target = emulator.clock.now() + seconds
    for _ in range(_MAX_RENEWALS):
        due = _due(emulator, target)
        if not due:
            break
        # Process moments in time order so events come out in the order they happened.
        moment, renewal, earliest = min(due, key=lambda found: found[:2])
        emulator.clock.offset += max(moment - emulator.clock.now(), 0)
        if renewal:
            _renew(emulator, earliest)
        else:
            warn(emulator, earliest, None)
    emulator.clock.offset += max(target - emulator.clock.now(), 0)
    now = emulator.clock.now()
    for subscription in list(emulator.subscriptions.values()):
        if subscription["status"] == "incomplete":
            _expire_incomplete(emulator, subscription, now)
    return now
