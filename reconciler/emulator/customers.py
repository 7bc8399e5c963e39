"""Customers: create, retrieve, update, delete, list and search."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import StripeError
from reconciler.emulator.events import emit
from reconciler.emulator.forms import (
    FREE,
    METADATA,
    SCALAR,
    STRINGS,
    as_str_list,
    merge_metadata,
    not_modelled,
)
from reconciler.emulator.listing import (
    EXPAND_ONLY,
    LIST_PARAMS,
    SEARCH_PARAMS,
    list_answer,
    search_answer,
)
from reconciler.emulator.payment_methods import attach
from reconciler.emulator.store import StripeObject, new_id, rollback

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

_TEXT_FIELDS = ("email", "name", "description", "phone")
# What create and update both take.
_SETTABLE: dict[str, Any] = {
    **{name: SCALAR for name in _TEXT_FIELDS},
    "metadata": METADATA,
    "invoice_settings": {
        "default_payment_method": SCALAR,
        "custom_fields": FREE,
        "footer": SCALAR,
        "rendering_options": FREE,
    },
    "address": FREE,
    "shipping": FREE,
    "preferred_locales": STRINGS,
    "tax_exempt": SCALAR,
    "expand": STRINGS,
    **not_modelled(
        "balance",
        "business_name",
        "cash_balance",
        "individual_name",
        "invoice_prefix",
        "next_invoice_sequence",
        "source",
        "tax",
        "validate",
    ),
}
_CREATE: dict[str, Any] = {
    **_SETTABLE,
    "payment_method": SCALAR,
    **not_modelled("tax_id_data", "test_clock"),
}
_UPDATE: dict[str, Any] = {**_SETTABLE, **not_modelled("default_source")}
_LIST: dict[str, Any] = {**LIST_PARAMS, "email": SCALAR, "created": FREE, "test_clock": SCALAR}
SEARCH_FIELDS = {
    "email": lambda obj: obj["email"],
    "name": lambda obj: obj["name"],
    "phone": lambda obj: obj["phone"],
    "created": lambda obj: obj["created"],
}


def new_customer(emulator: Emulator) -> StripeObject:
    return {
        "id": new_id("cus_", 14),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": emulator.clock.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "invoice_prefix": secrets.token_hex(4).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def _apply(emulator: Emulator, customer: StripeObject, params: dict[str, Any], call: Call) -> None:
    for name in _TEXT_FIELDS:
        if name in params:
            customer[name] = params[name] or None
    for name in ("address", "shipping", "tax_exempt"):
        if name in params:
            customer[name] = params[name] or None
    if "preferred_locales" in params:
        customer["preferred_locales"] = as_str_list(
            params["preferred_locales"], "preferred_locales"
        )
    if "metadata" in params:
        customer["metadata"] = merge_metadata(customer["metadata"], params["metadata"])
    attached: dict[str, str] = {}
    if params.get("payment_method"):
        method = attach(emulator, str(params["payment_method"]), customer, call)
        attached[str(params["payment_method"])] = method["id"]
    settings = params.get("invoice_settings")
    if isinstance(settings, dict) and "default_payment_method" in settings:
        wanted = settings["default_payment_method"]
        customer["invoice_settings"] = {
            **customer["invoice_settings"],
            "default_payment_method": _own_method(emulator, customer, attached.get(wanted, wanted)),
        }


def _own_method(emulator: Emulator, customer: StripeObject, method_id: Any) -> str | None:
    if method_id in ("", None):
        return None
    method = emulator.payment_methods.get(str(method_id))
    if method is None or method["customer"] != customer["id"]:
        raise StripeError(
            400,
            f"No such PaymentMethod: '{method_id}'; The payment method must be attached to "
            "the customer before it can be its default.",
            code="resource_missing",
            param="invoice_settings[default_payment_method]",
        )
    return str(method_id)


def create_customer(emulator: Emulator, call: Call) -> Any:
    customer = new_customer(emulator)
    emulator.customers.add(customer)
    try:
        _apply(emulator, customer, call.params, call)
    except StripeError:
        emulator.customers.remove(customer["id"])
        raise
    emit(emulator, "customer.created", customer, call)
    return customer


def retrieve_customer(emulator: Emulator, call: Call) -> Any:
    if call.args[0] in emulator.deleted_customers:
        # Stripe still answers for a deleted customer, with its deletion stub.
        return {"id": call.args[0], "object": "customer", "deleted": True}
    return emulator.require("customers", call.args[0])


def update_customer(emulator: Emulator, call: Call) -> Any:
    customer = emulator.require("customers", call.args[0])
    before = dict(customer)
    with rollback(customer):
        _apply(emulator, customer, call.params, call)
    if customer != before:
        emit(emulator, "customer.updated", customer, call, before)
    return customer


def delete_customer(emulator: Emulator, call: Call) -> Any:
    from reconciler.emulator.billing import end_subscription

    customer = emulator.require("customers", call.args[0])
    # Deleting a customer cancels its subscriptions immediately, as in Stripe.
    for subscription in list(emulator.subscriptions.values()):
        if subscription["customer"] == customer["id"] and subscription["status"] != "canceled":
            end_subscription(emulator, subscription, call)
    emulator.customers.remove(customer["id"])
    emulator.deleted_customers.add(customer["id"])
    emit(emulator, "customer.deleted", customer, call)
    return {"id": customer["id"], "object": "customer", "deleted": True}


def list_customers(emulator: Emulator, call: Call) -> Any:
    email = call.params.get("email")
    return list_answer(
        emulator.customers,
        call.params,
        "/v1/customers",
        "customer",
        lambda customer: email is None or customer["email"] == email,
    )


def search_customers(emulator: Emulator, call: Call) -> Any:
    return search_answer(emulator.customers, call.params, "/v1/customers/search", SEARCH_FIELDS)


def register(router: Router) -> None:
    from reconciler.emulator import payment_methods

    router.add("POST", "/v1/customers", create_customer, params=_CREATE, sdk="CustomerCreateParams")
    router.add("GET", "/v1/customers", list_customers, params=_LIST, sdk="CustomerListParams")
    router.add(
        "GET",
        "/v1/customers/search",
        search_customers,
        params=SEARCH_PARAMS,
        sdk="CustomerSearchParams",
    )
    router.add(
        "GET",
        "/v1/customers/:id",
        retrieve_customer,
        params=EXPAND_ONLY,
        sdk="CustomerRetrieveParams",
    )
    router.add(
        "POST", "/v1/customers/:id", update_customer, params=_UPDATE, sdk="CustomerUpdateParams"
    )
    router.add(
        "DELETE", "/v1/customers/:id", delete_customer, params={}, sdk="CustomerDeleteParams"
    )
    payment_methods.register(router)
