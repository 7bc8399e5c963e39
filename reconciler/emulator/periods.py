"""Billing period arithmetic and invoice amounts: pure functions, no state."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_FIXED_DAYS = {"day": 1, "week": 7}


def add_interval(anchor: int, interval: str, count: int) -> int:
    """`anchor` moved `count` intervals on; months keep the anchor's day, clamped."""
    start = datetime.fromtimestamp(anchor, UTC)
    if interval in _FIXED_DAYS:
        return int((start + timedelta(days=_FIXED_DAYS[interval] * count)).timestamp())
    months = count * (12 if interval == "year" else 1)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def next_period_end(anchor: int, current_end: int, interval: str, count: int) -> int:
    """The first period boundary after `current_end`, counted from the anchor."""
    step = 1
    while True:
        candidate = add_interval(anchor, interval, count * step)
        if candidate > current_end:
            return candidate
        step += 1


def _cents(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def line_amount(price: dict[str, Any], tiers: list[dict[str, Any]], quantity: int) -> int:
    """What `quantity` units of `price` cost, in the currency's minor unit."""
    if price["billing_scheme"] != "tiered":
        total = _cents(price["unit_amount_decimal"]) * quantity
        return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if price["tiers_mode"] == "volume":
        for tier in tiers:
            if tier["up_to"] is None or quantity <= tier["up_to"]:
                amount = _cents(tier["unit_amount_decimal"]) * quantity
                amount += _cents(tier["flat_amount_decimal"])
                return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return 0
    total, floor = Decimal(0), 0
    for tier in tiers:
        ceiling = quantity if tier["up_to"] is None else min(quantity, tier["up_to"])
        if ceiling > floor:
            total += _cents(tier["unit_amount_decimal"]) * (ceiling - floor)
            total += _cents(tier["flat_amount_decimal"])
            floor = ceiling
        if floor >= quantity:
            break
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
