"""Prices: create, retrieve, the narrow update Stripe allows, list and search."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import StripeError, invalid_value, missing_parameter
from reconciler.emulator.events import emit
from reconciler.emulator.forms import (
    FREE,
    METADATA,
    SCALAR,
    STRINGS,
    as_bool,
    as_str_list,
    merge_metadata,
    not_modelled,
)
from reconciler.emulator.listing import (
    EXPAND_ONLY,
    LIST_PARAMS,
    SEARCH_PARAMS,
    list_answer,
    retriever,
    search_answer,
)
from reconciler.emulator.price_inputs import (
    TAX_BEHAVIORS,
    Namer,
    amounts,
    namer,
    recurring_from,
    tiers_from,
)
from reconciler.emulator.price_options import (
    CUSTOM_UNIT_AMOUNT,
    TIER,
    TRANSFORM_QUANTITY,
    currency_options_from,
    custom_unit_amount_from,
    transform_quantity_from,
    update_currency_options,
)
from reconciler.emulator.products import build_product
from reconciler.emulator.store import StripeObject, new_id, rollback

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

_RECURRING = {
    "interval": SCALAR,
    "interval_count": SCALAR,
    "usage_type": SCALAR,
    "trial_period_days": SCALAR,
    "meter": SCALAR,
}
_DATA = {
    "currency": SCALAR,
    "unit_amount": SCALAR,
    "unit_amount_decimal": SCALAR,
    "recurring": _RECURRING,
    "tax_behavior": SCALAR,
    "metadata": METADATA,
    # Keys are currency codes; each option is checked against CURRENCY_OPTION when read.
    "currency_options": FREE,
    "custom_unit_amount": CUSTOM_UNIT_AMOUNT,
}
_CREATE: dict[str, Any] = {
    **_DATA,
    "product": SCALAR,
    "product_data": {
        "name": SCALAR,
        "active": SCALAR,
        "id": SCALAR,
        "metadata": METADATA,
        "statement_descriptor": SCALAR,
        "tax_code": SCALAR,
        "unit_label": SCALAR,
        **not_modelled("tax_details"),
    },
    "lookup_key": SCALAR,
    "transfer_lookup_key": SCALAR,
    "nickname": SCALAR,
    "billing_scheme": SCALAR,
    "tiers": [TIER],
    "tiers_mode": SCALAR,
    "active": SCALAR,
    "transform_quantity": TRANSFORM_QUANTITY,
    "expand": STRINGS,
}
_UPDATE: dict[str, Any] = {
    "active": SCALAR,
    "currency_options": FREE,
    "metadata": METADATA,
    "nickname": SCALAR,
    "lookup_key": SCALAR,
    "transfer_lookup_key": SCALAR,
    "tax_behavior": SCALAR,
    "expand": STRINGS,
}
_LIST: dict[str, Any] = {
    **LIST_PARAMS,
    "active": SCALAR,
    "product": SCALAR,
    "currency": SCALAR,
    "type": SCALAR,
    "lookup_keys": STRINGS,
    "recurring": {"interval": SCALAR, "usage_type": SCALAR, "meter": SCALAR},
    "created": FREE,
}
MAX_LIST_LOOKUP_KEYS = 10
SEARCH_FIELDS = {
    "active": lambda obj: obj["active"],
    "product": lambda obj: obj["product"],
    "lookup_key": lambda obj: obj["lookup_key"],
    "currency": lambda obj: obj["currency"],
    "type": lambda obj: obj["type"],
    "created": lambda obj: obj["created"],
}


def _claim_lookup_key(
    emulator: Emulator, price_id: str, key: Any, transfer: Any, call: Call | None
) -> str | None:
    if key in (None, ""):
        return None
    holder = emulator.lookup_keys.get(str(key))
    if holder is not None and holder != price_id:
        if not (transfer is not None and as_bool(transfer, "transfer_lookup_key")):
            raise StripeError(
                400, f"A price (`{holder}`) already uses that lookup key.", param="lookup_key"
            )
        other = emulator.prices.get(holder)
        if other is not None:
            before = dict(other)
            other["lookup_key"] = None
            emit(emulator, "price.updated", other, call, before)
    emulator.lookup_keys[str(key)] = price_id
    return str(key)


def create_price_for(
    emulator: Emulator,
    product_id: str,
    data: dict[str, Any],
    prefix: str = "",
    call: Call | None = None,
) -> StripeObject:
    """Build and store a price from create parameters (also used by default_price_data)."""
    name = namer(prefix)
    if not data.get("currency"):
        raise missing_parameter(name("currency"))
    scheme = data.get("billing_scheme", "per_unit")
    tiers = tiers_from(data) if scheme == "tiered" else []
    if scheme == "tiered":
        if not tiers:
            raise missing_parameter("tiers")
        if data.get("tiers_mode") not in ("graduated", "volume"):
            raise missing_parameter("tiers_mode")
        unit_amount, unit_decimal = None, None
    else:
        unit_amount, unit_decimal = amounts(data, name, "unit_amount")
    custom = custom_unit_amount_from(data.get("custom_unit_amount"), name)
    if scheme != "tiered" and unit_decimal is None and custom is None:
        raise missing_parameter(name("unit_amount"))
    tax_behavior = data.get("tax_behavior", "unspecified")
    if tax_behavior not in TAX_BEHAVIORS:
        raise invalid_value(name("tax_behavior"), f"Invalid tax_behavior: {tax_behavior}")
    recurring = recurring_from(data["recurring"], name) if "recurring" in data else None
    if recurring is not None:
        _check_meter(emulator, recurring, name)
    price_id = new_id("price_")
    price: StripeObject = {
        "id": price_id,
        "object": "price",
        "active": as_bool(data.get("active", True), "active"),
        "billing_scheme": scheme,
        "created": emulator.clock.now(),
        "currency": str(data["currency"]).lower(),
        "custom_unit_amount": custom,
        "livemode": False,
        "lookup_key": None,
        "metadata": merge_metadata({}, data.get("metadata", {})),
        "nickname": data.get("nickname") or None,
        "product": product_id,
        "recurring": recurring,
        "tax_behavior": tax_behavior,
        "tiers_mode": data.get("tiers_mode") if scheme == "tiered" else None,
        "transform_quantity": transform_quantity_from(
            data.get("transform_quantity"), scheme == "tiered"
        ),
        "type": "recurring" if recurring else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": unit_decimal,
    }
    price["lookup_key"] = _claim_lookup_key(
        emulator, price_id, data.get("lookup_key"), data.get("transfer_lookup_key"), call
    )
    options = currency_options_from(data.get("currency_options"), price, tiers)
    emulator.prices.add(price)
    if tiers:
        emulator.price_tiers[price_id] = tiers
    emulator.includable["price.currency_options"][price_id] = options
    return price


def _check_meter(emulator: Emulator, recurring: dict[str, Any], name: Namer) -> None:
    """Metered prices need an active meter (2025-03-31.basil removed legacy metering)."""
    param = name("recurring") + "[meter]"
    if recurring["usage_type"] not in ("licensed", "metered"):
        raise invalid_value(
            name("recurring") + "[usage_type]",
            f"Invalid {name('recurring')}[usage_type]: must be one of licensed or metered",
        )
    if recurring["usage_type"] == "licensed":
        if recurring["meter"] is not None:
            raise invalid_value(
                param, "A meter can only be set on a price with usage_type=metered."
            )
        return
    if recurring["meter"] is None:
        raise missing_parameter(param)
    meter = emulator.require("meters", recurring["meter"], param)
    if meter["status"] != "active":
        raise invalid_value(
            param, f"The meter `{meter['id']}` is inactive and cannot be attached to a price."
        )


def create_price(emulator: Emulator, call: Call) -> Any:
    params = call.params
    if params.get("product"):
        product_id = str(emulator.require("products", params["product"], "product")["id"])
        price = create_price_for(emulator, product_id, params, call=call)
    elif isinstance(params.get("product_data"), dict):
        # The product and its price are made together or not at all.
        product = build_product(emulator, params["product_data"], "product_data")
        emulator.products.add(product)
        try:
            price = create_price_for(emulator, product["id"], params, call=call)
        except StripeError:
            emulator.products.remove(product["id"])
            raise
        emit(emulator, "product.created", product, call)
    else:
        raise missing_parameter("product")
    emit(emulator, "price.created", price, call)
    return price


def update_price(emulator: Emulator, call: Call) -> Any:
    params = call.params
    price = emulator.require("prices", call.args[0])
    before = dict(price)
    with rollback(price):
        _update_fields(emulator, price, params, call)
    if price != before:
        emit(emulator, "price.updated", price, call, before)
    return price


def _update_fields(
    emulator: Emulator, price: StripeObject, params: dict[str, Any], call: Call
) -> None:
    if "active" in params:
        active = as_bool(params["active"], "active")
        product = emulator.products.get(price["product"])
        if not active and product is not None and product["default_price"] == price["id"]:
            raise StripeError(
                400,
                "This price cannot be archived because it is the default price of its product.",
                param="active",
            )
        price["active"] = active
    if "currency_options" in params:
        update_currency_options(emulator, price, params["currency_options"])
    if "tax_behavior" in params and params["tax_behavior"] != price["tax_behavior"]:
        if price["tax_behavior"] != "unspecified":
            raise StripeError(
                400,
                "You cannot change `tax_behavior` once it is set to `inclusive` or `exclusive`.",
                param="tax_behavior",
            )
        if params["tax_behavior"] not in TAX_BEHAVIORS:
            raise invalid_value("tax_behavior", f"Invalid tax_behavior: {params['tax_behavior']}")
        price["tax_behavior"] = params["tax_behavior"]
        own = emulator.includable["price.currency_options"].get(price["id"], {})
        if price["currency"] in own:
            own[price["currency"]]["tax_behavior"] = price["tax_behavior"]
    if "nickname" in params:
        price["nickname"] = params["nickname"] or None
    if "metadata" in params:
        price["metadata"] = merge_metadata(price["metadata"], params["metadata"])
    if "lookup_key" in params:
        old = price["lookup_key"]
        new = _claim_lookup_key(
            emulator, price["id"], params["lookup_key"], params.get("transfer_lookup_key"), call
        )
        if old is not None and old != new:
            emulator.lookup_keys.pop(old, None)
        price["lookup_key"] = new


def list_prices(emulator: Emulator, call: Call) -> Any:
    params = call.params
    # "Returns a list of your active prices ... For the list of inactive prices, set active
    # to false." (docs.stripe.com/api/prices/list): no `active` means active only.
    active = as_bool(params["active"], "active") if "active" in params else True
    given = as_str_list(params.get("lookup_keys"), "lookup_keys")
    lookup_keys = set(given)
    if len(given) > MAX_LIST_LOOKUP_KEYS:
        # api/prices/list: "You can specify up to 10 lookup_keys." (the wording is ours)
        raise invalid_value(
            "lookup_keys",
            f"Invalid lookup_keys: you can specify up to {MAX_LIST_LOOKUP_KEYS} lookup keys "
            f"(got {len(given)})",
        )
    recurring = params.get("recurring") or {}
    wanted: dict[str, Any] = {
        name: params[name] for name in ("product", "currency", "type") if name in params
    }
    if "currency" in wanted:
        wanted["currency"] = str(wanted["currency"]).lower()

    def matches(price: StripeObject) -> bool:
        if price["active"] != active:
            return False
        if any(price[name] != value for name, value in wanted.items()):
            return False
        if lookup_keys and price["lookup_key"] not in lookup_keys:
            return False
        if recurring:
            shown = price["recurring"] or {}
            return all(shown.get(name) == value for name, value in recurring.items())
        return True

    return list_answer(emulator.prices, params, "/v1/prices", "price", matches)


def search_prices(emulator: Emulator, call: Call) -> Any:
    return search_answer(emulator.prices, call.params, "/v1/prices/search", SEARCH_FIELDS)


def register(router: Router) -> None:
    router.add("POST", "/v1/prices", create_price, params=_CREATE, sdk="PriceCreateParams")
    router.add("GET", "/v1/prices", list_prices, params=_LIST, sdk="PriceListParams")
    router.add(
        "GET", "/v1/prices/search", search_prices, params=SEARCH_PARAMS, sdk="PriceSearchParams"
    )
    router.add(
        "GET", "/v1/prices/:id", retriever("prices"), params=EXPAND_ONLY, sdk="PriceRetrieveParams"
    )
    router.add("POST", "/v1/prices/:id", update_price, params=_UPDATE, sdk="PriceUpdateParams")
