"""Entitlement answers from a cached subscription and the catalog view (pure, no I/O).

Limits and features are looked up in the catalog at query time from the cached items' price
ids, never frozen into the cache, so a reconciled plan change reaches every subscriber at once.
The base plan and its add-ons combine by the rules in `combine.py`. An entity whose
subscription does not grant access gets the configured default plan (with any add-ons it
still holds on a granting subscription).
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reconciler.metadata import strip_prefix
from reconciler.model import UNLIMITED, Config, FeatureValue, LimitValue, Reset
from reconciler.runtime.catalog import CatalogView, Grant
from reconciler.runtime.combine import combine, windows
from reconciler.runtime.subscriptions import ACCESS_STATUSES


@dataclass(frozen=True)
class Entitlements:
    """What an entity may do now, the billing period its usage counters belong to, and for
    limits with their own reset the window of each (`windows`), and the meter of each
    metered limit (`meters`)."""

    status: str
    plan: str | None
    limits: Mapping[str, LimitValue]
    features: Mapping[str, FeatureValue]
    period_start: int
    period_end: int
    windows: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    meters: Mapping[str, str] = field(default_factory=dict)

    @functools.cached_property
    def _plain_limits(self) -> dict[str, int | str]:
        return {k: _plain(v) for k, v in self.limits.items()}

    @functools.cached_property
    def valid_until(self) -> int:
        """When this answer goes stale by the clock: the earliest end of a counter window."""
        return min([self.period_end, *(end for _, end in self.windows.values())])

    def as_dict(self) -> dict[str, Any]:
        """`{"status", "plan", "limits", "features"}` (a fresh copy the caller may change);
        limits with no cap read `unlimited`."""
        return {
            "status": self.status,
            "plan": self.plan,
            "limits": dict(self._plain_limits),
            "features": dict(self.features),
        }

    def limit(self, name: str, config: Config) -> LimitValue | None:
        """The limit `name` (with or without the `limits:` prefix); None when no plan sets it."""
        return self.limits.get(strip_prefix(name, config.limits_prefix))

    def window(self, name: str) -> tuple[int, int]:
        """The [start, end) of the counter window of limit `name` (prefix stripped)."""
        return self.windows.get(name) or (self.period_start, self.period_end)

    def has_feature(self, name: str, config: Config) -> bool:
        """True when the feature is set and truthy (true, a non-zero number, non-empty text)."""
        value = self.features.get(strip_prefix(name, config.features_prefix))
        return bool(value)


def _plain(value: LimitValue) -> int | str:
    return "unlimited" if value is UNLIMITED else value


def calendar_month(now: float) -> tuple[int, int]:
    """The UTC calendar month around `now`: the usage period of an entity on the default plan."""
    moment = datetime.fromtimestamp(now, UTC)
    start = datetime(moment.year, moment.month, 1, tzinfo=UTC)
    days = calendar.monthrange(moment.year, moment.month)[1]
    return int(start.timestamp()), int(start.timestamp()) + days * 86_400


def _items(subscription: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(price id, quantity) of every granted item; a record cached before items were kept
    grants its governing price alone."""
    items = subscription.get("items")
    if items is None:
        return [(str(subscription.get("price_id")), 1)]
    return [(str(i.get("price_id")), int(i.get("quantity") or 1)) for i in items]


def resolve(
    subscription: Mapping[str, Any] | None, catalog: CatalogView, now: float
) -> Entitlements:
    """The entitlements of an entity whose cached subscription is `subscription` (None or
    `{"status": "none"}` when it has none)."""
    status = str((subscription or {}).get("status") or "none")
    base: tuple[Grant, int] | None = None
    add_ons: list[tuple[Grant, int]] = []
    same_product: list[tuple[Grant, int]] = []  # more items of the base plan's product
    if subscription is not None and status in ACCESS_STATUSES:
        for price_id, quantity in _items(subscription):
            price = catalog.price(price_id)
            if price is None:
                continue
            if price.grant.add_on:
                add_ons.append((price.grant, quantity))
            elif base is None:
                base = (price.grant, quantity)
            elif price.grant.plan == base[0].plan:
                same_product.append((price.grant, quantity))
    if base is None or subscription is None:
        period = calendar_month(now)
        return _entitlements(status, (catalog.default, 1), add_ons, period, now)
    start = int(subscription.get("current_period_start") or calendar_month(now)[0])
    end = int(subscription.get("current_period_end") or calendar_month(now)[1])
    return _entitlements(status, base, add_ons, (start, end), now, same_product)


def _entitlements(
    status: str,
    base: tuple[Grant, int],
    add_ons: list[tuple[Grant, int]],
    period: tuple[int, int],
    now: float,
    same_product: list[tuple[Grant, int]] | None = None,
) -> Entitlements:
    combined = combine(base[0], base[1], add_ons, same_product or ())
    resets: dict[str, Reset] = combined.resets
    return Entitlements(
        status,
        base[0].plan,
        combined.limits,
        combined.features,
        period[0],
        period[1],
        windows(resets, period[0], period, now),
        combined.meters,
    )


def unavailable(catalog: CatalogView | None, config: Config, now: float) -> Entitlements:
    """The default plan, answered when the store is down and the config allows it."""
    period = calendar_month(now)
    if catalog is None:
        grant = Grant(config.default_plan, dict(config.default_limits), {})
        return _entitlements("unknown", (grant, 1), [], period, now)
    return _entitlements("unknown", (catalog.default, 1), [], period, now)
