"""Subscriptions: create, retrieve, update, cancel and list.

The new object is built in `subscription_build`, trials are read and moved in
`trials`, and billing (first invoice, renewals, the end of a trial) is `billing`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.billing import begin, end_subscription, end_trial_now, snapshot
from reconciler.emulator.errors import StripeError, missing_parameter
from reconciler.emulator.events import emit
from reconciler.emulator.forms import (
    FREE,
    METADATA,
    SCALAR,
    STRINGS,
    as_bool,
    merge_metadata,
    not_modelled,
)
from reconciler.emulator.listing import EXPAND_ONLY, LIST_PARAMS, list_answer, retriever
from reconciler.emulator.store import StripeObject, rollback
from reconciler.emulator.subscription_build import build_subscription, combine_currencies
from reconciler.emulator.subscription_items import ITEM_SPEC, NEW_ITEM_SPEC, update_items
from reconciler.emulator.trials import (
    NOW,
    parse_trial_end,
    requested_trial_end,
    set_trial_end,
    warn,
    warn_if_due,
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
    "trial_end": SCALAR,
    **not_modelled(
        "backdate_start_date",
        "billing_cycle_anchor_config",
        "billing_mode",
        "customer_account",
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
    subscription = build_subscription(
        emulator,
        customer,
        list(params.get("items") or []),
        requested_trial_end(emulator, params),
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
        trial = _apply_update(emulator, subscription, params)
    if trial == NOW:
        end_trial_now(emulator, subscription, call)
    if subscription != before:
        emit(emulator, "customer.subscription.updated", subscription, call, before)
    if trial == NOW:
        # Stripe sends it "when a trial is ended immediately (using trial_end=now)" too.
        warn(emulator, subscription, call)
    elif trial is not None:
        warn_if_due(emulator, subscription, call)
    return subscription


def _apply_update(
    emulator: Emulator, subscription: StripeObject, params: dict[str, Any]
) -> int | str | None:
    """Change the subscription in place; answers what became of its trial: a new end,
    `NOW` (a trial under way to end at once, billed by the caller), or None."""
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
    if params.get("trial_end") in (None, ""):
        return None
    end = parse_trial_end(params["trial_end"], emulator.clock.now())
    if end == NOW:
        # Ending a trial that is not under way changes nothing (undocumented).
        return NOW if subscription["status"] == "trialing" else None
    set_trial_end(emulator, subscription, int(end))
    return end


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
