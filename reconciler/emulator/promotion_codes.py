"""Promotion codes: customer-facing codes for a coupon, with redemption restrictions.

In the pinned API version a code names its coupon as `promotion[coupon]` (with
`promotion[type]=coupon`), as the SDK's parameter types say. Only `active`,
`metadata` and the per-currency minimum amounts can change after creation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import StripeError, invalid_value, missing_parameter
from reconciler.emulator.events import emit
from reconciler.emulator.forms import (
    FREE,
    METADATA,
    SCALAR,
    STRINGS,
    as_bool,
    as_int,
    check_params,
    merge_metadata,
)
from reconciler.emulator.listing import (
    EXPAND_ONLY,
    LIST_PARAMS,
    fields_equal,
    list_answer,
    retriever,
)
from reconciler.emulator.store import StripeObject, new_id, rollback

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

_RESTRICTIONS: dict[str, Any] = {
    "currency_options": FREE,
    "first_time_transaction": SCALAR,
    "minimum_amount": SCALAR,
    "minimum_amount_currency": SCALAR,
}
_CREATE: dict[str, Any] = {
    "active": SCALAR,
    "code": SCALAR,
    "customer": SCALAR,
    "customer_account": SCALAR,
    "expand": STRINGS,
    "expires_at": SCALAR,
    "max_redemptions": SCALAR,
    "metadata": METADATA,
    "promotion": {"coupon": SCALAR, "type": SCALAR},
    "restrictions": _RESTRICTIONS,
}
_UPDATE: dict[str, Any] = {
    "active": SCALAR,
    "expand": STRINGS,
    "metadata": METADATA,
    "restrictions": {"currency_options": FREE},
}
_LIST: dict[str, Any] = {
    **LIST_PARAMS,
    "active": SCALAR,
    "code": SCALAR,
    "coupon": SCALAR,
    "created": FREE,
    "customer": SCALAR,
    "customer_account": SCALAR,
}
_CODE = re.compile(r"[A-Za-z0-9-]+")


def _minimums(data: Any) -> dict[str, dict[str, int]]:
    if not isinstance(data, dict):
        raise invalid_value("restrictions[currency_options]", "Invalid object")
    options: dict[str, dict[str, int]] = {}
    for code, option in data.items():
        name = f"restrictions[currency_options][{code}]"
        check_params(option if isinstance(option, dict) else {}, {"minimum_amount": SCALAR}, name)
        minimum = option.get("minimum_amount", 0) if isinstance(option, dict) else 0
        options[code.lower()] = {"minimum_amount": as_int(minimum, f"{name}[minimum_amount]")}
    return options


def _restrictions(data: dict[str, Any]) -> dict[str, Any]:
    minimum = data.get("minimum_amount")
    currency = data.get("minimum_amount_currency")
    if (minimum is None) != (currency is None):
        raise missing_parameter(
            "restrictions[minimum_amount_currency]"
            if currency is None
            else "restrictions[minimum_amount]"
        )
    restrictions: dict[str, Any] = {
        "first_time_transaction": as_bool(
            data.get("first_time_transaction", False), "restrictions[first_time_transaction]"
        ),
        "minimum_amount": as_int(minimum, "restrictions[minimum_amount]") if minimum else None,
        "minimum_amount_currency": str(currency).lower() if currency else None,
    }
    if "currency_options" in data:
        restrictions["currency_options"] = _minimums(data["currency_options"])
    return restrictions


def _code(emulator: Emulator, params: dict[str, Any]) -> str:
    code = str(params.get("code") or new_id("", 8).upper())
    if not _CODE.fullmatch(code):
        raise invalid_value(
            "code", "Promotion codes may only contain letters, digits and dashes (-)."
        )
    customer = params.get("customer")
    for other in emulator.promotion_codes.values():
        same_customer = (
            other["customer"] is None or customer is None or other["customer"] == customer
        )
        if other["active"] and same_customer and other["code"].lower() == code.lower():
            raise StripeError(
                400,
                f"An active promotion code with `code: {code}` already exists.",
                param="code",
            )
    return code


def create_promotion_code(emulator: Emulator, call: Call) -> Any:
    params = call.params
    promotion = params.get("promotion") or {}
    if promotion.get("type") != "coupon":
        raise missing_parameter("promotion[type]")
    if not promotion.get("coupon"):
        raise missing_parameter("promotion[coupon]")
    coupon = emulator.require("coupons", promotion["coupon"], "promotion[coupon]")
    if params.get("customer"):
        emulator.require("customers", params["customer"], "customer")
    expires_at = as_int(params["expires_at"], "expires_at") if "expires_at" in params else None
    if expires_at is not None and coupon["redeem_by"] and expires_at > coupon["redeem_by"]:
        raise invalid_value("expires_at", "expires_at cannot be after the coupon's redeem_by.")
    maximum = (
        as_int(params["max_redemptions"], "max_redemptions")
        if "max_redemptions" in params
        else None
    )
    if maximum is not None and coupon["max_redemptions"] and maximum > coupon["max_redemptions"]:
        raise invalid_value(
            "max_redemptions",
            "max_redemptions cannot be greater than the coupon's max_redemptions.",
        )
    promotion_code: StripeObject = {
        "id": new_id("promo_"),
        "object": "promotion_code",
        "active": as_bool(params.get("active", True), "active"),
        "code": _code(emulator, params),
        "created": emulator.clock.now(),
        "customer": params.get("customer") or None,
        "customer_account": params.get("customer_account") or None,
        "expires_at": expires_at,
        "livemode": False,
        "max_redemptions": maximum,
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "promotion": {"coupon": coupon["id"], "type": "coupon"},
        "restrictions": _restrictions(params.get("restrictions") or {}),
        "times_redeemed": 0,
    }
    emulator.promotion_codes.add(promotion_code)
    emit(emulator, "promotion_code.created", promotion_code, call)
    return promotion_code


def update_promotion_code(emulator: Emulator, call: Call) -> Any:
    params = call.params
    promotion_code = emulator.require("promotion_codes", call.args[0])
    before = dict(promotion_code)
    with rollback(promotion_code):
        if "active" in params:
            promotion_code["active"] = as_bool(params["active"], "active")
        if "metadata" in params:
            promotion_code["metadata"] = merge_metadata(
                promotion_code["metadata"], params["metadata"]
            )
        given = (params.get("restrictions") or {}).get("currency_options")
        if given is not None:
            restrictions = dict(promotion_code["restrictions"])
            restrictions["currency_options"] = {
                **restrictions.get("currency_options", {}),
                **_minimums(given),
            }
            promotion_code["restrictions"] = restrictions
    if promotion_code != before:
        emit(emulator, "promotion_code.updated", promotion_code, call, before)
    return promotion_code


def list_promotion_codes(emulator: Emulator, call: Call) -> Any:
    params = call.params
    active = as_bool(params["active"], "active") if "active" in params else None
    same = fields_equal(params, ("code", "customer", "customer_account"))
    coupon = params.get("coupon")

    def matches(promotion_code: StripeObject) -> bool:
        if active is not None and promotion_code["active"] != active:
            return False
        if coupon is not None and promotion_code["promotion"]["coupon"] != coupon:
            return False
        return same(promotion_code)

    url = "/v1/promotion_codes"
    return list_answer(emulator.promotion_codes, params, url, "promotion_code", matches)


def register(router: Router) -> None:
    add = router.add
    codes = "/v1/promotion_codes"
    add("POST", codes, create_promotion_code, params=_CREATE, sdk="PromotionCodeCreateParams")
    add("GET", codes, list_promotion_codes, params=_LIST, sdk="PromotionCodeListParams")
    add(
        "GET",
        f"{codes}/:id",
        retriever("promotion_codes"),
        params=EXPAND_ONLY,
        sdk="PromotionCodeRetrieveParams",
    )
    add(
        "POST",
        f"{codes}/:id",
        update_promotion_code,
        params=_UPDATE,
        sdk="PromotionCodeUpdateParams",
    )
