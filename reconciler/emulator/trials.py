"""Trials: reading `trial_end` / `trial_period_days`, moving a trial's end, and its warning.

A trial is the subscription's first period: `trial_start` to `trial_end`, which
is also the items' `current_period_start` / `current_period_end` and the
`billing_cycle_anchor` the periods after it count from. Billing at the end of
a trial (by the clock, or at once with `trial_end=now`) lives in `billing`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import invalid_value
from reconciler.emulator.events import emit
from reconciler.emulator.forms import as_int

if TYPE_CHECKING:
    from reconciler.emulator.router import Call
    from reconciler.emulator.state import Emulator
    from reconciler.emulator.store import StripeObject

DAY = 86400
# "The maximum number of trial period days is 730 (2 years)." (Stripe's answer, as users quote it)
MAX_TRIAL_DAYS = 730
# `customer.subscription.trial_will_end` comes three days before the trial ends.
WARNING_LEAD = 3 * DAY
# The value of `trial_end` that ends a trial at once.
NOW = "now"


def _too_long(param: str) -> Exception:
    return invalid_value(
        param, f"The maximum number of trial period days is {MAX_TRIAL_DAYS} (2 years)."
    )


def parse_trial_end(value: Any, now: int, param: str = "trial_end") -> int | str:
    """`trial_end` as sent: `"now"`, or a timestamp in the future at most 730 days ahead."""
    if value == NOW:
        return NOW
    text = str(value)
    if not text.isdigit() or int(text) <= now:
        raise invalid_value(
            param, "Invalid timestamp: must be an integer Unix timestamp in the future."
        )
    if int(text) > now + MAX_TRIAL_DAYS * DAY:
        raise _too_long(param)
    return int(text)


def days_to_trial_end(days: Any, now: int, param: str = "trial_period_days") -> int | None:
    """The end of a trial of `days` days from `now`; None for no trial (0 or absent)."""
    if days in (None, ""):
        return None
    count = as_int(days, param)
    if count < 0:
        raise invalid_value(param, f"Invalid {param}: must be a non-negative integer")
    if count > MAX_TRIAL_DAYS:
        raise _too_long(param)
    return now + count * DAY if count else None


def requested_trial_end(emulator: Emulator, params: dict[str, Any]) -> int | None:
    """The trial a subscription create asks for: `trial_end` when given (it overrides
    any other trial), else `trial_period_days`; None for none (`trial_end=now` too)."""
    now = emulator.clock.now()
    if params.get("trial_end") not in (None, ""):
        days_to_trial_end(params.get("trial_period_days"), now)  # still validated
        end = parse_trial_end(params["trial_end"], now)
        return None if end == NOW else int(end)
    return days_to_trial_end(params.get("trial_period_days"), now)


def set_trial_end(emulator: Emulator, subscription: StripeObject, end: int) -> None:
    """Start or move the trial so it ends at `end`: a trial under way keeps its start; a
    subscription not in trial starts one now. The items' period and the billing cycle
    anchor follow the trial's end."""
    now = emulator.clock.now()
    if subscription["status"] != "trialing":
        subscription["trial_start"] = now
        for item in subscription["items"]["data"]:
            item["current_period_start"] = now
        subscription["status"] = "trialing"
    subscription["trial_end"] = end
    subscription["billing_cycle_anchor"] = end
    for item in subscription["items"]["data"]:
        item["current_period_end"] = end
    if subscription["cancel_at_period_end"]:
        # A cancellation at the period's end moves with it.
        subscription["cancel_at"] = end


def warning_at(subscription: StripeObject) -> int | None:
    """When `customer.subscription.trial_will_end` is due for a subscription in trial."""
    if subscription["status"] != "trialing" or subscription["trial_end"] is None:
        return None
    return int(subscription["trial_end"]) - WARNING_LEAD


def warn_if_due(emulator: Emulator, subscription: StripeObject, call: Call | None) -> None:
    """Send `customer.subscription.trial_will_end` at once when a trial was set to end
    within three days (its warning moment is already past)."""
    moment = warning_at(subscription)
    if moment is not None and moment <= emulator.clock.now():
        warn(emulator, subscription, call)


def warn(emulator: Emulator, subscription: StripeObject, call: Call | None) -> None:
    emit(emulator, "customer.subscription.trial_will_end", subscription, call)
