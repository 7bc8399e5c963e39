"""Checkout Sessions, their line items, and completing a checkout.

Session URLs point back at the emulator (`/checkout/<id>`), so links in tests
are real. `complete_session` plays the customer paying.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.billing import begin
from reconciler.emulator.checkout_params import CREATE, LIST, NULL_FIELDS, ui_mode
from reconciler.emulator.errors import StripeError, missing_parameter
from reconciler.emulator.events import emit
from reconciler.emulator.forms import (
    as_bool,
    as_str_list,
    merge_metadata,
)
from reconciler.emulator.listing import (
    EXPAND_ONLY,
    LIST_PARAMS,
    fields_equal,
    list_answer,
    retriever,
)
from reconciler.emulator.payment_methods import attach, check_attachable
from reconciler.emulator.periods import line_amount
from reconciler.emulator.store import StripeObject, new_id
from reconciler.emulator.subscription_build import build_subscription, trial_settings
from reconciler.emulator.subscription_items import quantity
from reconciler.emulator.trials import days_to_trial_end

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

_MODES = ("payment", "setup", "subscription")


def _line_prices(emulator: Emulator, mode: str, items: list[Any]) -> list[tuple[StripeObject, int]]:
    priced = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("price"):
            raise missing_parameter(f"line_items[{index}][price]")
        price = emulator.require("prices", item["price"], f"line_items[{index}][price]")
        priced.append((price, quantity(item.get("quantity", 1), f"line_items[{index}][quantity]")))
    recurring = any(price["type"] == "recurring" for price, _ in priced)
    if mode == "subscription" and not recurring:
        raise StripeError(
            400,
            "You must provide at least one recurring price in `subscription` mode when using "
            "prices.",
            param="line_items",
        )
    if mode == "payment" and recurring:
        raise StripeError(
            400,
            "You specified `payment` mode but passed a recurring price. Either switch to "
            "`subscription` mode or use only one-time prices.",
            param="line_items",
        )
    return priced


def _payment_method_types(params: dict[str, Any]) -> list[str]:
    """The session's computed `payment_method_types`: the emulator only has cards.

    `allowed_payment_method_types` narrows the set, `excluded_payment_method_types`
    removes from it (changelog 2026-09-30.endive).
    """
    allowed = as_str_list(
        params.get("allowed_payment_method_types"), "allowed_payment_method_types"
    )
    excluded = as_str_list(
        params.get("excluded_payment_method_types"), "excluded_payment_method_types"
    )
    return [kind for kind in ("card",) if (not allowed or kind in allowed) and kind not in excluded]


def _automatic_tax(params: dict[str, Any]) -> dict[str, Any]:
    """Echo `automatic_tax`; the emulator calculates no tax, so `status` stays null."""
    given = params.get("automatic_tax") or {}
    if given and "enabled" not in given:
        raise missing_parameter("automatic_tax[enabled]")
    liability = given.get("liability")
    return {
        "enabled": as_bool(given.get("enabled", "false"), "automatic_tax[enabled]"),
        "liability": dict(liability) if liability else None,
        "provider": None,
        "status": None,
    }


def create_session(emulator: Emulator, call: Call) -> Any:
    params = call.params
    mode = params.get("mode")
    if not mode:
        raise missing_parameter("mode")
    if mode not in _MODES:
        raise StripeError(400, f"Invalid mode: must be one of {', '.join(_MODES)}", param="mode")
    customer = None
    if params.get("customer"):
        customer = emulator.require("customers", params["customer"], "customer")["id"]
    priced = _line_prices(emulator, mode, list(params.get("line_items") or []))
    total = sum(
        line_amount(price, emulator.price_tiers.get(price["id"], []), quantity)
        for price, quantity in priced
    )
    session_id = new_id("cs_test_", 58)
    now = emulator.clock.now()
    session: StripeObject = {
        "id": session_id,
        "object": "checkout.session",
        **NULL_FIELDS,
        "adaptive_pricing": None,
        "after_expiration": None,
        "allow_promotion_codes": as_bool(params["allow_promotion_codes"], "allow_promotion_codes")
        if "allow_promotion_codes" in params
        else None,
        "allowed_payment_method_types": params.get("allowed_payment_method_types"),
        **(
            {"excluded_payment_method_types": params["excluded_payment_method_types"]}
            if "excluded_payment_method_types" in params
            else {}
        ),
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": _automatic_tax(params),
        "billing_address_collection": params.get("billing_address_collection"),
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": now,
        "currency": priced[0][0]["currency"] if priced else None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": customer,
        "customer_creation": None if customer else "if_required",
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "discounts": [],
        "expires_at": now + 86400,
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "mode": mode,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": _payment_method_types(params),
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": ui_mode(params),
        "url": emulator.url(f"/checkout/{session_id}"),
    }
    emulator.checkout_sessions.add(session)
    # What the session was created with, kept apart because Stripe does not show it.
    emulator.checkout_inputs[session_id] = {
        "line_items": [
            {"price": price["id"], "quantity": quantity, "adjustable_quantity": adjustable}
            for (price, quantity), adjustable in zip(
                priced, _adjustable_quantities(params), strict=True
            )
        ],
        "subscription_data": dict(params.get("subscription_data") or {}),
    }
    return session


def _adjustable_quantities(params: dict[str, Any]) -> list[dict[str, Any] | None]:
    """Each line's `adjustable_quantity` as the line item shows it (docs:
    api/checkout/sessions/line_items: `{enabled, maximum, minimum}`, null when not set)."""
    found: list[dict[str, Any] | None] = []
    for line in params.get("line_items") or []:
        given = line.get("adjustable_quantity") if isinstance(line, dict) else None
        if not isinstance(given, dict):
            found.append(None)
            continue
        found.append(
            {
                "enabled": as_bool(given.get("enabled", False), "adjustable_quantity[enabled]"),
                "maximum": given.get("maximum"),
                "minimum": given.get("minimum"),
            }
        )
    return found


def complete_session(
    emulator: Emulator, session_id: str, payment_method: str, email: str | None = None
) -> StripeObject:
    """Play the customer paying: card attached, subscription started, events sent. `email`
    is what the customer typed on the page when the session had neither customer nor
    `customer_email`."""
    from reconciler.emulator.customers import new_customer

    session = emulator.require("checkout_sessions", session_id)
    if session["status"] != "open":
        raise StripeError(400, f"This Checkout Session is {session['status']}, not open.")
    check_attachable(payment_method)
    inputs = emulator.checkout_inputs.get(session_id, {"line_items": [], "subscription_data": {}})
    if session["customer"]:
        customer = emulator.require("customers", session["customer"], "customer")
    else:
        customer = new_customer(emulator)
        customer["email"] = session["customer_email"] or email
        emulator.customers.add(customer)
        emit(emulator, "customer.created", customer, None)
    method = attach(emulator, payment_method, customer, None)
    before = dict(customer)
    customer["invoice_settings"] = {
        **customer["invoice_settings"],
        "default_payment_method": method["id"],
    }
    emit(emulator, "customer.updated", customer, None, before)
    payment_status = "paid"
    if session["mode"] == "subscription":
        data = inputs["subscription_data"]
        trial = data.get("trial_period_days")
        subscription = build_subscription(
            emulator,
            customer,
            inputs["line_items"],
            days_to_trial_end(trial, emulator.clock.now(), "subscription_data[trial_period_days]"),
            {
                "metadata": merge_metadata({}, data.get("metadata", {})),
                "default_payment_method": method["id"],
                "description": data.get("description"),
                "trial_settings": trial_settings(data.get("trial_settings")),
            },
        )
        emulator.subscriptions.add(subscription)
        begin(emulator, subscription, None)
        session["subscription"] = subscription["id"]
        session["invoice"] = subscription["latest_invoice"]
        if trial:
            # Stripe marks a checkout that only starts a trial as needing no payment.
            payment_status = "no_payment_required"
    session.update(
        {
            "status": "complete",
            "payment_status": payment_status,
            "customer": customer["id"],
            "customer_details": {
                "address": None,
                "business_name": None,
                "email": customer["email"],
                "individual_name": None,
                "name": customer["name"],
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            },
        }
    )
    emit(emulator, "checkout.session.completed", session, None)
    return session


def list_sessions(emulator: Emulator, call: Call) -> Any:
    params = call.params
    filters = fields_equal(params, ("customer", "subscription", "status"))
    return list_answer(
        emulator.checkout_sessions, params, "/v1/checkout/sessions", "checkout.session", filters
    )


def list_line_items(emulator: Emulator, call: Call) -> Any:
    """`GET /v1/checkout/sessions/:id/line_items`: Stripe's `item` objects."""
    session = emulator.require("checkout_sessions", call.args[0])
    inputs = emulator.checkout_inputs.get(session["id"], {"line_items": []})
    items = []
    for position, line in enumerate(inputs["line_items"]):
        price = emulator.require("prices", line["price"])
        amount = line_amount(price, emulator.price_tiers.get(price["id"], []), line["quantity"])
        product = emulator.products.get(price["product"]) or {}
        items.append(
            {
                "id": f"li_{session['id'][8:30]}{position}",
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": price["currency"],
                "description": product.get("name"),
                "adjustable_quantity": line.get("adjustable_quantity"),
                "metadata": {},
                "price": price,
                "quantity": line["quantity"],
            }
        )
    return {
        "object": "list",
        "data": items,
        "has_more": False,
        "url": f"/v1/checkout/sessions/{session['id']}/line_items",
    }


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/checkout/sessions",
        create_session,
        params=CREATE,
        sdk="checkout.SessionCreateParams",
    )
    router.add(
        "GET",
        "/v1/checkout/sessions",
        list_sessions,
        params=LIST,
        sdk="checkout.SessionListParams",
    )
    router.add(
        "GET",
        "/v1/checkout/sessions/:id",
        retriever("checkout_sessions"),
        params=EXPAND_ONLY,
        sdk="checkout.SessionRetrieveParams",
    )
    router.add(
        "GET",
        "/v1/checkout/sessions/:id/line_items",
        list_line_items,
        params=LIST_PARAMS,
        sdk="checkout.SessionLineItemListParams",
    )
