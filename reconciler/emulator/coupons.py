"""Coupons: create, retrieve, update (name, metadata, currency options), list, delete.

A coupon takes `percent_off` or `amount_off` + `currency`; everything that
shapes the discount is fixed at creation. `applies_to` and `currency_options`
are includable: shown only with `expand[]`, as Stripe does.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import (
    StripeError,
    below_minimum,
    invalid_value,
    missing_parameter,
)
from reconciler.emulator.events import emit
from reconciler.emulator.forms import (
    FREE,
    METADATA,
    SCALAR,
    STRINGS,
    as_int,
    as_str_list,
    check_params,
    merge_metadata,
)
from reconciler.emulator.listing import EXPAND_ONLY, LIST_PARAMS, list_answer, retriever
from reconciler.emulator.store import StripeObject, new_id, rollback

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

DURATIONS = ("forever", "once", "repeating")
_FIVE_YEARS = 5 * 366 * 24 * 3600
_UPDATE: dict[str, Any] = {
    "currency_options": FREE,
    "expand": STRINGS,
    "metadata": METADATA,
    "name": SCALAR,
}
_CREATE: dict[str, Any] = {
    **_UPDATE,
    "amount_off": SCALAR,
    "applies_to": {"products": STRINGS},
    "currency": SCALAR,
    "duration": SCALAR,
    "duration_in_months": SCALAR,
    "id": SCALAR,
    "max_redemptions": SCALAR,
    "percent_off": SCALAR,
    "redeem_by": SCALAR,
}
_LIST: dict[str, Any] = {**LIST_PARAMS, "created": FREE}


def _positive(params: dict[str, Any], key: str, within: str = "") -> int | None:
    """`params[key]` as an integer of at least 1, or None when absent (`within` names the
    hash it sits in, as in `currency_options[eur]`)."""
    if key not in params:
        return None
    name = f"{within}[{key}]" if within else key
    value = as_int(params[key], name)
    if value < 1:
        # api/coupons/create: "A positive integer"; the refusal in Stripe's words.
        raise below_minimum(name, 1)
    return value


def _percent(value: Any) -> float:
    try:
        percent = Decimal(str(value))
    except InvalidOperation as exc:
        raise invalid_value("percent_off", f"Invalid decimal: {value}") from exc
    if not 0 < percent <= 100:
        raise invalid_value(
            "percent_off", "percent_off must be larger than 0 and smaller or equal to 100."
        )
    return float(percent)


def _currency_options(data: Any, currency: str | None) -> dict[str, dict[str, int]]:
    if data in (None, ""):
        return {}
    if not isinstance(data, dict):
        raise invalid_value("currency_options", "Invalid object")
    if currency is None:
        raise invalid_value(
            "currency_options", "currency_options is only supported if amount_off is passed."
        )
    options: dict[str, dict[str, int]] = {}
    for code, option in data.items():
        name = f"currency_options[{code}]"
        check_params(option if isinstance(option, dict) else {}, {"amount_off": SCALAR}, name)
        if not isinstance(option, dict) or "amount_off" not in option:
            raise missing_parameter(f"{name}[amount_off]")
        amount = _positive(option, "amount_off", name)
        assert amount is not None  # present: checked above
        options[code.lower()] = {"amount_off": amount}
    return options


def _discount(params: dict[str, Any]) -> dict[str, Any]:
    """`amount_off`, `currency` and `percent_off`: exactly one kind of discount."""
    if ("amount_off" in params) == ("percent_off" in params):
        if "amount_off" in params:
            raise invalid_value(
                "percent_off",
                "You may only specify one of these parameters: amount_off, percent_off.",
            )
        raise missing_parameter("percent_off")
    if "percent_off" in params:
        return {
            "amount_off": None,
            "currency": None,
            "percent_off": _percent(params["percent_off"]),
        }
    if not params.get("currency"):
        raise missing_parameter("currency")
    return {
        "amount_off": _positive(params, "amount_off"),
        "currency": str(params["currency"]).lower(),
        "percent_off": None,
    }


def _duration(params: dict[str, Any]) -> tuple[str, int | None]:
    duration = params.get("duration", "once")
    if duration not in DURATIONS:
        raise invalid_value(
            "duration", "Invalid duration: must be one of forever, once, or repeating"
        )
    if duration != "repeating":
        if "duration_in_months" in params:
            raise invalid_value(
                "duration_in_months",
                "duration_in_months can only be set when duration is repeating.",
            )
        return duration, None
    months = _positive(params, "duration_in_months")
    if months is None:
        raise missing_parameter("duration_in_months")
    return duration, months


def generated_coupon_id() -> str:
    """8 letters and digits holding a digit, like every coupon id Stripe's pages show it
    generating (`Z4OV52SU`, `jMT0WJUD`; that all of them do is undocumented): a letters-only
    id of one case is what a person chooses (`SUMMER`, `welcome`), not what Stripe makes."""
    while True:
        made = new_id("", 8)
        if any(c.isdigit() for c in made):
            return made


def create_coupon(emulator: Emulator, call: Call) -> Any:
    params = call.params
    coupon_id = str(params.get("id") or generated_coupon_id())
    if not re.fullmatch(r"[A-Za-z0-9_-]+", coupon_id):
        raise invalid_value("id", f"Invalid id: {coupon_id}")
    if coupon_id in emulator.coupons:
        raise StripeError(400, "Coupon already exists.", code="resource_already_exists", param="id")
    discount = _discount(params)
    duration, months = _duration(params)
    now = emulator.clock.now()
    redeem_by = as_int(params["redeem_by"], "redeem_by") if "redeem_by" in params else None
    if redeem_by is not None and not now < redeem_by <= now + _FIVE_YEARS:
        raise invalid_value(
            "redeem_by", "redeem_by must be in the future and at most 5 years from now."
        )
    products = as_str_list((params.get("applies_to") or {}).get("products"), "applies_to[products]")
    for index, product_id in enumerate(products):
        emulator.require("products", product_id, f"applies_to[products][{index}]")
    coupon: StripeObject = {
        "id": coupon_id,
        "object": "coupon",
        **discount,
        "created": now,
        "duration": duration,
        "duration_in_months": months,
        "livemode": False,
        "max_redemptions": _positive(params, "max_redemptions"),
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "name": params.get("name") or None,
        "redeem_by": redeem_by,
        "times_redeemed": 0,
        "valid": True,
    }
    options = _currency_options(params.get("currency_options"), discount["currency"])
    emulator.coupons.add(coupon)
    emulator.includable["coupon.applies_to"][coupon_id] = (
        {"products": products} if products else None
    )
    emulator.includable["coupon.currency_options"][coupon_id] = options
    emit(emulator, "coupon.created", coupon, call)
    return coupon


def update_coupon(emulator: Emulator, call: Call) -> Any:
    params = call.params
    coupon = emulator.require("coupons", call.args[0])
    before = dict(coupon)
    with rollback(coupon):
        if "name" in params:
            coupon["name"] = params["name"] or None
        if "metadata" in params:
            coupon["metadata"] = merge_metadata(coupon["metadata"], params["metadata"])
        if "currency_options" in params:
            given = _currency_options(params["currency_options"], coupon["currency"])
            emulator.includable["coupon.currency_options"].setdefault(coupon["id"], {}).update(
                given
            )
    if coupon != before:
        emit(emulator, "coupon.updated", coupon, call, before)
    return coupon


def delete_coupon(emulator: Emulator, call: Call) -> Any:
    coupon = emulator.require("coupons", call.args[0])
    emulator.coupons.remove(coupon["id"])
    for name in ("coupon.applies_to", "coupon.currency_options"):
        emulator.includable[name].pop(coupon["id"], None)
    emit(emulator, "coupon.deleted", coupon, call)
    return {"id": coupon["id"], "object": "coupon", "deleted": True}


def list_coupons(emulator: Emulator, call: Call) -> Any:
    return list_answer(emulator.coupons, call.params, "/v1/coupons", "coupon")


def register(router: Router) -> None:
    add = router.add
    add("POST", "/v1/coupons", create_coupon, params=_CREATE, sdk="CouponCreateParams")
    add("GET", "/v1/coupons", list_coupons, params=_LIST, sdk="CouponListParams")
    add(
        "GET",
        "/v1/coupons/:id",
        retriever("coupons"),
        params=EXPAND_ONLY,
        sdk="CouponRetrieveParams",
    )
    add("POST", "/v1/coupons/:id", update_coupon, params=_UPDATE, sdk="CouponUpdateParams")
    add("DELETE", "/v1/coupons/:id", delete_coupon, params={}, sdk="CouponDeleteParams")
