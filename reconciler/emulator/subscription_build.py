"""A new subscription: its object as Stripe shows it, and the one-currency rule.

Period fields live on the items (`items.data[].current_period_start/end`), as
in today's API; each item embeds its full price object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import StripeError, missing_parameter
from reconciler.emulator.periods import add_interval
from reconciler.emulator.store import StripeObject, new_id
from reconciler.emulator.subscription_items import new_item, recurring_price

if TYPE_CHECKING:
    from reconciler.emulator.state import Emulator

# A subscription in these statuses no longer holds its customer's currency.
_ENDED = ("canceled", "incomplete_expired")


def require_one_currency(
    emulator: Emulator, customer_id: str, currency: str, own_id: str | None = None
) -> None:
    """Refuse a subscription in `currency` when the customer has another one that has not
    ended in another currency. docs.stripe.com/invoicing/multi-currency-customers: "You
    can't have two active subscriptions with different currencies." The wording is Stripe's
    answer as users quote it (undocumented in the API reference); which statuses count as
    active is undocumented (here: all but canceled and incomplete_expired)."""
    for other in emulator.subscriptions.having(customer_id):
        if (
            other["id"] != own_id
            and other["status"] not in _ENDED
            and other["currency"] != currency
        ):
            raise combine_currencies(other["currency"])


def combine_currencies(held: str) -> StripeError:
    return StripeError(
        400,
        "You cannot combine currencies on a single customer. This customer has an active "
        "subscription, subscription schedule, discount, quote, or invoice item with currency "
        f"{held}.",
    )


def build_subscription(
    emulator: Emulator,
    customer: StripeObject,
    items: list[dict[str, Any]],
    trial_end: int | None,
    extra: dict[str, Any],
) -> StripeObject:
    """A new subscription object (not yet stored or billed); with `trial_end`, its first
    period is a trial from now to then (`trials.requested_trial_end` reads the request)."""
    if not items:
        raise missing_parameter("items")
    now = emulator.clock.now()
    subscription_id = new_id("sub_")
    first = recurring_price(emulator, items[0].get("price"), "items[0][price]")["recurring"]
    anchor = trial_end or now
    end = trial_end or add_interval(now, first["interval"], first["interval_count"])
    built = [
        new_item(emulator, subscription_id, spec, index, now, end)
        for index, spec in enumerate(items)
    ]
    currency = built[0]["price"]["currency"]
    mismatches = {
        "currency": any(item["price"]["currency"] != currency for item in built),
        "interval": any(
            item["price"]["recurring"]["interval"] != first["interval"] for item in built
        ),
    }
    for field in (name for name, found in mismatches.items() if found):
        raise StripeError(
            400,
            "Currency and interval fields must match across all plans on this subscription. "
            f"Found mismatch in {field} field.",
            param="items",
        )
    require_one_currency(emulator, customer["id"], currency)
    return {
        "id": subscription_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": anchor,
        "billing_cycle_anchor_config": None,
        # The pinned version defaults API-created subscriptions to `flexible` (changelog
        # 2025-09-30.clover); the emulator bills the classic way and says so.
        "billing_mode": {"flexible": None, "type": "classic"},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {
            "comment": None,
            "feedback": None,
            "feedback_option": None,
            "reason": None,
        },
        "collection_method": "charge_automatically",
        "created": now,
        "currency": built[0]["price"]["currency"],
        "customer": customer["id"],
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"type": "self"},
        },
        "items": {
            "object": "list",
            "data": built,
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={subscription_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": {},
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": now,
        "status": "incomplete",
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": trial_settings(None),
        "trial_start": now if trial_end else None,
        **extra,
    }


def trial_settings(given: Any) -> dict[str, Any]:
    """The subscription's `trial_settings` from a `trial_settings` parameter (or None):
    `end_behavior` always carries `billing_cycle_anchor` (null: not set, which Stripe reads
    as `now`) and `missing_payment_method` (`create_invoice` unless given). Docs:
    api/subscriptions/object (`trial_settings.end_behavior`)."""
    behavior = (given or {}).get("end_behavior") or {}
    return {
        "end_behavior": {
            "billing_cycle_anchor": behavior.get("billing_cycle_anchor"),
            "missing_payment_method": behavior.get("missing_payment_method", "create_invoice"),
        }
    }
