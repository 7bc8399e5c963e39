"""Subscription items: building them from prices and changing them on update.

Each item embeds the stored price object itself (not a copy), so an item
always shows its price as it is now, as Stripe's answers do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import StripeError, below_minimum, missing_parameter
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
from reconciler.emulator.store import StripeObject, new_id

if TYPE_CHECKING:
    from reconciler.emulator.state import Emulator

# `items[]` of a subscription create; an update can also name, delete and clear items.
NEW_ITEM_SPEC: dict[str, Any] = {
    "price": SCALAR,
    "quantity": SCALAR,
    "metadata": METADATA,
    "tax_rates": STRINGS,
    "discounts": FREE,
    **not_modelled("billing_thresholds", "current_trial", "plan", "price_data"),
}
ITEM_SPEC: dict[str, Any] = {
    **NEW_ITEM_SPEC,
    "id": SCALAR,
    "deleted": SCALAR,
    "clear_usage": SCALAR,
}


def recurring_price(emulator: Emulator, price_id: Any, param: str) -> StripeObject:
    price = emulator.require("prices", price_id, param)
    if price["type"] != "recurring":
        raise StripeError(
            400,
            "The price specified is set to `type=one_time` but this field only accepts prices "
            "with `type=recurring`.",
            param=param,
        )
    if not price["active"]:
        raise StripeError(
            400,
            "The price specified is inactive. This field only accepts active prices.",
            param=param,
        )
    return price


def plan_view(price: StripeObject) -> StripeObject:
    """The legacy `plan` view of a recurring price that items still carry."""
    recurring = price["recurring"]
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": price["metadata"],
        "meter": None,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": price["tiers_mode"],
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def quantity(value: Any, name: str) -> int:
    """A line's quantity: an integer, never negative (Stripe refuses one; only the bound is
    documented, as "quantity" being a count; the wording is Stripe's for integer bounds)."""
    found = as_int(value, name)
    if found < 0:
        raise below_minimum(name, 0)
    return found


def new_item(
    emulator: Emulator, subscription_id: str, spec: dict[str, Any], index: int, start: int, end: int
) -> StripeObject:
    if not spec.get("price"):
        raise missing_parameter(f"items[{index}][price]")
    price = recurring_price(emulator, spec["price"], f"items[{index}][price]")
    return {
        "id": new_id("si_", 14),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": emulator.clock.now(),
        "current_period_end": end,
        "current_period_start": start,
        # Set only by a Trial Offer, which the emulator does not have.
        "current_trial": None,
        "discounts": [],
        "metadata": merge_metadata({}, spec.get("metadata", {})),
        # The stored price itself, so the item always shows the price as it is now.
        "price": price,
        "plan": plan_view(price),
        "quantity": quantity(spec.get("quantity", 1), f"items[{index}][quantity]"),
        "subscription": subscription_id,
        "tax_rates": [],
    }


def update_items(emulator: Emulator, subscription: StripeObject, specs: list[Any]) -> None:
    data: list[StripeObject] = subscription["items"]["data"]
    first = data[0]
    for index, spec in enumerate(specs):
        if not isinstance(spec, dict):
            continue
        if spec.get("id"):
            item = next((found for found in data if found["id"] == spec["id"]), None)
            if item is None:
                raise StripeError(
                    404,
                    f"No such subscription_item: '{spec['id']}'",
                    code="resource_missing",
                    param=f"items[{index}][id]",
                )
            if spec.get("deleted") and as_bool(spec["deleted"], f"items[{index}][deleted]"):
                data.remove(item)
                continue
            if spec.get("price"):
                item["price"] = recurring_price(emulator, spec["price"], f"items[{index}][price]")
                item["plan"] = plan_view(item["price"])
            if "quantity" in spec:
                item["quantity"] = quantity(spec["quantity"], f"items[{index}][quantity]")
            if "metadata" in spec:
                item["metadata"] = merge_metadata(item["metadata"], spec["metadata"])
        else:
            data.append(
                new_item(
                    emulator,
                    subscription["id"],
                    spec,
                    index,
                    first["current_period_start"],
                    first["current_period_end"],
                )
            )
    if not data:
        raise StripeError(400, "A subscription must have at least one active item.", param="items")
