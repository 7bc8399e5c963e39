"""Payment methods: Stripe's test tokens, attaching to customers, listing.

Attaching a test token such as `pm_card_visa` creates a fresh `pm_...` card,
as Stripe does. `pm_card_chargeDeclined` is refused at attach time (402), and
`pm_card_chargeCustomerFail` attaches but every later charge on it fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import StripeError, card_declined, missing, missing_parameter
from reconciler.emulator.events import emit
from reconciler.emulator.forms import SCALAR, STRINGS, not_modelled
from reconciler.emulator.listing import EXPAND_ONLY, LIST_PARAMS, list_answer
from reconciler.emulator.store import StripeObject, new_id

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

# Test token -> (brand, last4). Cards ending 0002 never attach; 0341 attach but never pay.
TEST_CARDS = {
    "pm_card_visa": ("visa", "4242"),
    "pm_card_mastercard": ("mastercard", "4444"),
    "pm_card_amex": ("amex", "8431"),
    "pm_card_chargeDeclined": ("visa", "0002"),
    "pm_card_chargeCustomerFail": ("visa", "0341"),
}
_REFUSED_AT_ATTACH = {"0002"}
_FAILS_ON_CHARGE = {"0002", "0341"}


def _card(emulator: Emulator, token: str, customer_id: str | None) -> StripeObject:
    brand, last4 = TEST_CARDS[token]
    return {
        "id": new_id("pm_"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "card": {
            "brand": brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": "US",
            "display_brand": brand,
            "exp_month": 12,
            "exp_year": 2034,
            "fingerprint": f"emu{brand[:4]}{last4}",
            "funding": "credit",
            "generated_from": None,
            "last4": last4,
            "networks": {"available": [brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": emulator.clock.now(),
        "customer": customer_id,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def charge_succeeds(payment_method: StripeObject | None) -> bool:
    """Whether a charge on this card would go through."""
    return payment_method is not None and payment_method["card"]["last4"] not in _FAILS_ON_CHARGE


def check_attachable(reference: str) -> None:
    """Refuse a declining test card before anything else happens (402, like Stripe)."""
    if reference in TEST_CARDS and TEST_CARDS[reference][1] in _REFUSED_AT_ATTACH:
        raise card_declined()


def attach(
    emulator: Emulator,
    reference: str,
    customer: StripeObject,
    call: Call | None,
    param: str = "payment_method",
) -> StripeObject:
    """Attach a test token (as a new card) or an existing card to `customer`."""
    check_attachable(reference)
    if reference in TEST_CARDS:
        method = emulator.payment_methods.add(_card(emulator, reference, customer["id"]))
    else:
        method = emulator.payment_methods.get(reference) or {}
        if not method:
            raise missing("PaymentMethod", reference, param)
        if method["customer"] not in (None, customer["id"]):
            raise StripeError(
                400,
                "The payment method you provided has already been attached to a customer.",
                code="payment_method_unexpected_state",
                param=param,
            )
        if method["customer"] == customer["id"]:
            return method
        method["customer"] = customer["id"]
    emit(emulator, "payment_method.attached", method, call)
    return method


def attach_handler(emulator: Emulator, call: Call) -> Any:
    if not call.params.get("customer"):
        raise missing_parameter("customer")
    customer = emulator.require("customers", call.params["customer"], "customer")
    return attach(emulator, call.args[0], customer, call, "payment_method")


def detach_handler(emulator: Emulator, call: Call) -> Any:
    method = emulator.require("payment_methods", call.args[0], "payment_method")
    if method["customer"] is None:
        raise StripeError(
            400,
            "The payment method you provided is not attached to a customer so detachment "
            "is impossible.",
            code="payment_method_unexpected_state",
        )
    before = dict(method)
    method["customer"] = None
    emit(emulator, "payment_method.detached", method, call, before)
    return method


def retrieve_handler(emulator: Emulator, call: Call) -> Any:
    if call.args[0] in TEST_CARDS:
        # Stripe answers a token retrieve with a fresh, unattached card.
        return emulator.payment_methods.add(_card(emulator, call.args[0], None))
    return emulator.require("payment_methods", call.args[0])


def _list(emulator: Emulator, call: Call, customer_id: str, url: str) -> Any:
    kind = call.params.get("type")
    return list_answer(
        emulator.payment_methods,
        call.params,
        url,
        "PaymentMethod",
        lambda method: method["customer"] == customer_id and kind in (None, method["type"]),
    )


def list_for_customer(emulator: Emulator, call: Call) -> Any:
    customer = emulator.require("customers", call.args[0])
    return _list(emulator, call, customer["id"], f"/v1/customers/{customer['id']}/payment_methods")


def list_handler(emulator: Emulator, call: Call) -> Any:
    if not call.params.get("customer"):
        raise missing_parameter("customer")
    customer = emulator.require("customers", call.params["customer"], "customer")
    return _list(emulator, call, customer["id"], "/v1/payment_methods")


def register(router: Router) -> None:
    listed = {**LIST_PARAMS, "type": SCALAR, "allow_redisplay": SCALAR}
    router.add(
        "GET",
        "/v1/payment_methods",
        list_handler,
        params={**listed, "customer": SCALAR, **not_modelled("customer_account")},
        sdk="PaymentMethodListParams",
    )
    router.add(
        "GET",
        "/v1/payment_methods/:id",
        retrieve_handler,
        params=EXPAND_ONLY,
        sdk="PaymentMethodRetrieveParams",
    )
    router.add(
        "POST",
        "/v1/payment_methods/:id/attach",
        attach_handler,
        params={"customer": SCALAR, "expand": STRINGS, **not_modelled("customer_account")},
        sdk="PaymentMethodAttachParams",
    )
    router.add(
        "POST",
        "/v1/payment_methods/:id/detach",
        detach_handler,
        params=EXPAND_ONLY,
        sdk="PaymentMethodDetachParams",
    )
    router.add(
        "GET",
        "/v1/customers/:id/payment_methods",
        list_for_customer,
        params=listed,
        sdk="CustomerPaymentMethodListParams",
    )
