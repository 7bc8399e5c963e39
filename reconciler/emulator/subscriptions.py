"""Subscriptions: create, retrieve, update, cancel and list.

Period fields live on the items (`items.data[].current_period_start/end`), as
in today's API; each item embeds its full price object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.billing import begin, end_subscription, snapshot
from reconciler.emulator.errors import StripeError, missing_parameter
from reconciler.emulator.events import emit
from reconciler.emulator.forms import (
    FREE,
    METADATA,
    SCALAR,
    STRINGS,
    as_bool,
    as_int,
    merge_metadata,
    not_modelled,
)
from reconciler.emulator.listing import EXPAND_ONLY, LIST_PARAMS, list_answer, retriever
from reconciler.emulator.periods import add_interval
from reconciler.emulator.store import StripeObject, new_id, rollback
from reconciler.emulator.subscription_items import (
    ITEM_SPEC,
    NEW_ITEM_SPEC,
    new_item,
    recurring_price,
    update_items,
)

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

_COMMON: dict[str, Any] = {
    "default_payment_method": SCALAR,
    "metadata": METADATA,
    "cancel_at_period_end": SCALAR,
    "cancel_at": SCALAR,
    "description": SCALAR,
    "payment_behavior": SCALAR,
    "proration_behavior": SCALAR,
    "collection_method": SCALAR,
    "off_session": SCALAR,
    "expand": STRINGS,
    **not_modelled(
        "add_invoice_items",
        "application_fee_percent",
        "automatic_tax",
        "billing_cycle_anchor",
        "billing_schedules",
        "billing_thresholds",
        "days_until_due",
        "default_source",
        "default_tax_rates",
        "discounts",
        "invoice_settings",
        "on_behalf_of",
        "payment_settings",
        "pending_invoice_item_interval",
        "transfer_data",
        "trial_from_plan",
        "trial_settings",
    ),
}
_CREATE: dict[str, Any] = {
    **_COMMON,
    "items": [NEW_ITEM_SPEC],
    "customer": SCALAR,
    "trial_period_days": SCALAR,
    "currency": SCALAR,
    **not_modelled(
        "backdate_start_date",
        "billing_cycle_anchor_config",
        "billing_mode",
        "customer_account",
        "trial_end",
    ),
}
_UPDATE: dict[str, Any] = {
    **_COMMON,
    "items": [ITEM_SPEC],
    "trial_end": SCALAR,
    "cancellation_details": FREE,
    **not_modelled("pause_collection", "proration_date"),
}
_CANCEL: dict[str, Any] = {
    "invoice_now": SCALAR,
    "prorate": SCALAR,
    "cancellation_details": FREE,
    "expand": STRINGS,
}
_LIST: dict[str, Any] = {
    **LIST_PARAMS,
    "customer": SCALAR,
    "price": SCALAR,
    "status": SCALAR,
    "created": FREE,
    "current_period_end": FREE,
    "current_period_start": FREE,
    "collection_method": SCALAR,
    "test_clock": SCALAR,
    "automatic_tax": FREE,
    **not_modelled("customer_account", "plan"),
}
_STATUSES = (
    "active",
    "past_due",
    "unpaid",
    "canceled",
    "incomplete",
    "incomplete_expired",
    "trialing",
    "paused",
    "all",
    "ended",
)


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
    trial_days: int | None,
    extra: dict[str, Any],
) -> StripeObject:
    """A new subscription object (not yet stored or billed)."""
    if not items:
        raise missing_parameter("items")
    now = emulator.clock.now()
    subscription_id = new_id("sub_")
    first = recurring_price(emulator, items[0].get("price"), "items[0][price]")["recurring"]
    trial_end = now + trial_days * 86400 if trial_days else None
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
        "billing_mode": {"type": "classic"},
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
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
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": {
            "object": "list",
            "data": built,
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={subscription_id}",
        },
        "latest_invoice": None,
        "livemode": False,
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
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": now if trial_end else None,
        **extra,
    }


def _default_method(emulator: Emulator, customer_id: str, method_id: Any) -> str | None:
    if method_id in (None, ""):
        return None
    method = emulator.require("payment_methods", method_id, "default_payment_method")
    if method["customer"] != customer_id:
        raise StripeError(
            400,
            f"The customer does not have a payment method with the ID {method_id}. The payment "
            "method must be attached to the customer.",
            param="default_payment_method",
        )
    return str(method_id)


def create_subscription(emulator: Emulator, call: Call) -> Any:
    params = call.params
    if not params.get("customer"):
        raise missing_parameter("customer")
    customer = emulator.require("customers", params["customer"], "customer")
    trial = params.get("trial_period_days")
    subscription = build_subscription(
        emulator,
        customer,
        list(params.get("items") or []),
        as_int(trial, "trial_period_days") if trial not in (None, "") else None,
        {
            "metadata": merge_metadata({}, params.get("metadata", {})),
            "description": params.get("description") or None,
            "cancel_at_period_end": as_bool(
                params.get("cancel_at_period_end", False), "cancel_at_period_end"
            ),
            "default_payment_method": _default_method(
                emulator, customer["id"], params.get("default_payment_method")
            ),
        },
    )
    if subscription["cancel_at_period_end"]:
        _schedule_cancel(emulator, subscription, True)
    emulator.subscriptions.add(subscription)
    begin(emulator, subscription, call)
    return subscription


def _schedule_cancel(emulator: Emulator, subscription: StripeObject, flag: bool) -> None:
    """`cancel_at_period_end`: Stripe also fills `cancel_at` and `canceled_at`."""
    subscription["cancel_at_period_end"] = flag
    subscription["canceled_at"] = emulator.clock.now() if flag else None
    subscription["cancel_at"] = (
        subscription["items"]["data"][0]["current_period_end"] if flag else None
    )


def update_subscription(emulator: Emulator, call: Call) -> Any:
    subscription = emulator.require("subscriptions", call.args[0])
    return change_subscription(emulator, subscription, call.params, call)


def change_subscription(
    emulator: Emulator, subscription: StripeObject, params: dict[str, Any], call: Call | None
) -> StripeObject:
    """Apply update `params` as `POST /v1/subscriptions/:id` does, all or nothing, with
    `customer.subscription.updated` when anything changed (the portal page uses it too)."""
    if subscription["status"] in ("canceled", "incomplete_expired"):
        raise StripeError(
            400,
            "A canceled subscription can only update its cancellation_details and metadata.",
        )
    before = snapshot(subscription)
    with rollback(subscription, snapshot):
        _apply_update(emulator, subscription, params)
    if subscription != before:
        emit(emulator, "customer.subscription.updated", subscription, call, before)
    return subscription


def _apply_update(emulator: Emulator, subscription: StripeObject, params: dict[str, Any]) -> None:
    if "items" in params:
        update_items(emulator, subscription, list(params["items"] or []))
        # The subscription itself holds its currency for the customer: moving its items to a
        # price in another currency combines currencies too.
        if any(
            item["price"]["currency"] != subscription["currency"]
            for item in subscription["items"]["data"]
        ):
            raise combine_currencies(subscription["currency"])
    if "cancel_at_period_end" in params:
        flag = as_bool(params["cancel_at_period_end"], "cancel_at_period_end")
        _schedule_cancel(emulator, subscription, flag)
    if "metadata" in params:
        subscription["metadata"] = merge_metadata(subscription["metadata"], params["metadata"])
    if "description" in params:
        subscription["description"] = params["description"] or None
    if "default_payment_method" in params:
        subscription["default_payment_method"] = _default_method(
            emulator, subscription["customer"], params["default_payment_method"]
        )


def cancel_subscription(emulator: Emulator, call: Call) -> Any:
    subscription = emulator.require("subscriptions", call.args[0])
    if subscription["status"] == "canceled":
        raise StripeError(
            400,
            f"No such subscription: '{subscription['id']}'; it has already been canceled.",
            code="resource_missing",
            param="id",
        )
    subscription["canceled_at"] = emulator.clock.now()
    end_subscription(emulator, subscription, call)
    return subscription


def list_subscriptions(emulator: Emulator, call: Call) -> Any:
    params = call.params
    status = params.get("status")
    if status is not None and status not in _STATUSES:
        raise StripeError(
            400, f"Invalid status: must be one of {', '.join(_STATUSES)}", param="status"
        )
    customer, price = params.get("customer"), params.get("price")

    def matches(subscription: StripeObject) -> bool:
        shown = subscription["status"]
        if status is None and shown == "canceled":
            return False
        if status == "ended" and shown not in ("canceled", "incomplete_expired"):
            return False
        if status not in (None, "all", "ended") and shown != status:
            return False
        if customer is not None and subscription["customer"] != customer:
            return False
        items = subscription["items"]["data"]
        return price is None or any(item["price"]["id"] == price for item in items)

    return list_answer(emulator.subscriptions, params, "/v1/subscriptions", "subscription", matches)


def register(router: Router) -> None:
    from reconciler.emulator import invoices

    router.add(
        "POST",
        "/v1/subscriptions",
        create_subscription,
        params=_CREATE,
        sdk="SubscriptionCreateParams",
    )
    router.add(
        "GET", "/v1/subscriptions", list_subscriptions, params=_LIST, sdk="SubscriptionListParams"
    )
    router.add(
        "GET",
        "/v1/subscriptions/:id",
        retriever("subscriptions"),
        params=EXPAND_ONLY,
        sdk="SubscriptionRetrieveParams",
    )
    router.add(
        "POST",
        "/v1/subscriptions/:id",
        update_subscription,
        params=_UPDATE,
        sdk="SubscriptionUpdateParams",
    )
    router.add(
        "DELETE",
        "/v1/subscriptions/:id",
        cancel_subscription,
        params=_CANCEL,
        sdk="SubscriptionCancelParams",
    )
    invoices.register(router)
