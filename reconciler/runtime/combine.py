"""The combination rules: what a base plan and its add-ons grant together, and when each
limit's counter resets (pure, no I/O).

- The base plan is the first granted item (governing subscription first) whose product is
  not an add-on; items of other base products (a second plan) add nothing.
- A limit's amount is its value, or for `{per_unit: N}` N times its item's quantity.
- Other items of the base plan's own product (a per-seat price next to a flat fee) add the
  limits they declare differently from the first item (their own), per unit where declared
  so; a limit equal to the first item's is the product's and counts once, and a limit the
  first item has only from `default_limits` is replaced, not added to.
- Each add-on item adds each of its limits times its quantity to the base plan's; `unlimited`
  wins over any number.
- A limit resets as the base plan declares it (as the first add-on declaring it when the base
  does not); it is metered with the base plan's meter, else the first add-on's that names one.
- Features merge: `true` wins over `false`, the larger number wins, a text comes from the base
  plan unless the base lacks the feature.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from reconciler.model import UNLIMITED, FeatureValue, Limit, LimitSpec, LimitValue, Reset, as_limit
from reconciler.runtime.catalog import Grant

# The window of a limit that never resets: from the epoch to the end of time as Redis sees it.
NEVER_END = 253_402_300_799  # 9999-12-31T23:59:59Z


@dataclass(frozen=True)
class Combined:
    """Amounts by limit name, with the non-default reset and meter of each, and features."""

    limits: dict[str, LimitValue]
    resets: dict[str, Reset]
    meters: dict[str, str]
    features: dict[str, FeatureValue]


def _amount(spec: LimitSpec, quantity: int) -> LimitValue:
    limit = as_limit(spec)
    if limit.value is UNLIMITED:
        return UNLIMITED
    return limit.value * quantity if limit.per_unit else limit.value


def _add(a: LimitValue | None, b: LimitValue) -> LimitValue:
    if a is None:
        return b
    if a is UNLIMITED or b is UNLIMITED:
        return UNLIMITED
    return a + b


def merge_feature(base: FeatureValue | None, other: FeatureValue) -> FeatureValue:
    """True wins, the larger number wins, text (or mixed kinds) keeps the base's value."""
    if base is None:
        return other
    if isinstance(base, bool) and isinstance(other, bool):
        return base or other
    numbers = (int, float)
    if (
        isinstance(base, numbers)
        and isinstance(other, numbers)
        and not isinstance(base, bool)
        and not isinstance(other, bool)
    ):
        return max(base, other)
    return base


def combine(
    base: Grant,
    base_quantity: int,
    add_ons: Iterable[tuple[Grant, int]],
    same_product: Iterable[tuple[Grant, int]] = (),
) -> Combined:
    """The base plan's grant for `base_quantity` units, with the other items of its product
    (`same_product`: grant, quantity), plus each (add-on grant, quantity)."""
    limits: dict[str, LimitValue] = {}
    forms: dict[str, Limit] = {}
    for name, spec in base.limits.items():
        limits[name] = _amount(spec, base_quantity)
        forms[name] = as_limit(spec)
    features = dict(base.features)
    replaced: set[str] = set()  # limits the base had from defaults, declared by another item
    for grant, quantity in same_product:
        for name, spec in grant.limits.items():
            if name in grant.defaulted or _same(base, name, spec):
                continue  # a default, or the product's own limit: counted with the base
            if name not in replaced and (name in base.defaulted or name not in limits):
                replaced.add(name)
                limits.pop(name, None)
                forms[name] = as_limit(spec)
            limits[name] = _add(limits.get(name), _amount(spec, quantity))
        for name, value in grant.features.items():
            features[name] = merge_feature(features.get(name), value)
    for grant, quantity in add_ons:
        for name, spec in grant.limits.items():
            limits[name] = _add(limits.get(name), _scaled(spec, quantity))
            form = as_limit(spec)
            first = forms.setdefault(name, form)
            if first.meter is None and form.meter is not None:
                forms[name] = Limit(first.value, first.per_unit, first.reset, form.meter)
        for name, value in grant.features.items():
            features[name] = merge_feature(features.get(name), value)
    resets: dict[str, Reset] = {n: f.reset for n, f in forms.items() if f.reset != "billing_period"}
    meters = {n: f.meter for n, f in forms.items() if f.meter is not None}
    return Combined(limits, resets, meters, features)


def _same(base: Grant, name: str, spec: LimitSpec) -> bool:
    """True when the base item declares limit `name` exactly as `spec` (the product's)."""
    if name in base.defaulted or name not in base.limits:
        return False
    return as_limit(base.limits[name]) == as_limit(spec)


def _scaled(spec: LimitSpec, quantity: int) -> LimitValue:
    """An add-on's contribution: its amount (per unit or not) times the item's quantity."""
    amount = as_limit(spec).value
    return UNLIMITED if amount is UNLIMITED else amount * quantity


def _add_months(moment: datetime, months: int) -> datetime:
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def window(reset: Reset, anchor: int, period: tuple[int, int], now: float) -> tuple[int, int]:
    """The [start, end) of the counter window holding `now` for a limit that resets every
    `reset`, counted from `anchor` (the start of the billing period); `billing_period` is
    `period`, `never` one window from the epoch."""
    if reset == "billing_period":
        return period
    if reset == "never":
        return 0, NEVER_END
    if reset in ("day", "week"):
        step = 86_400 if reset == "day" else 7 * 86_400
        start = anchor + int((now - anchor) // step) * step
        return start, start + step
    months = 1 if reset == "month" else 12
    origin = datetime.fromtimestamp(anchor, UTC)
    k = 0
    # Step whole windows forward (or back, for a clock before the anchor) to the one with now.
    while int(_add_months(origin, (k + 1) * months).timestamp()) <= now:
        k += 1
    while k > -1200 and int(_add_months(origin, k * months).timestamp()) > now:
        k -= 1
    start = int(_add_months(origin, k * months).timestamp())
    return start, int(_add_months(origin, (k + 1) * months).timestamp())


def windows(
    resets: Mapping[str, Reset], anchor: int, period: tuple[int, int], now: float
) -> dict[str, tuple[int, int]]:
    """`window` for every limit with its own reset."""
    return {name: window(reset, anchor, period, now) for name, reset in resets.items()}
