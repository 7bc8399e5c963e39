"""Entitlement answers from a cached subscription and the catalog view (pure, no I/O).

Limits and features are looked up in the catalog at query time from the subscription's price
id, never frozen into the cache, so a reconciled plan change reaches every subscriber at once.
An entity whose subscription does not grant access gets the configured default plan.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.metadata import strip_prefix
from reconciler.model import UNLIMITED, Config, FeatureValue, LimitValue
from reconciler.runtime.catalog import CatalogView, Grant
from reconciler.runtime.subscriptions import ACCESS_STATUSES


@dataclass(frozen=True)
class Entitlements:
    """What an entity may do now, and the billing period its usage counters belong to."""

    status: str
    plan: str | None
    limits: Mapping[str, LimitValue]
    features: Mapping[str, FeatureValue]
    period_start: int
    period_end: int

    @functools.cached_property
    def _plain_limits(self) -> dict[str, int | str]:
        return {k: _plain(v) for k, v in self.limits.items()}

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


def resolve(
    subscription: Mapping[str, Any] | None, catalog: CatalogView, now: float
) -> Entitlements:
    """The entitlements of an entity whose cached subscription is `subscription` (None or
    `{"status": "none"}` when it has none)."""
    status = str((subscription or {}).get("status") or "none")
    grant: Grant | None = None
    if subscription is not None and status in ACCESS_STATUSES:
        price = catalog.price(str(subscription.get("price_id")))
        grant = price.grant if price is not None else None
    if grant is None or subscription is None:
        start, end = calendar_month(now)
        return Entitlements(
            status,
            catalog.default.plan,
            catalog.default.limits,
            catalog.default.features,
            start,
            end,
        )
    start = int(subscription.get("current_period_start") or calendar_month(now)[0])
    end = int(subscription.get("current_period_end") or calendar_month(now)[1])
    return Entitlements(status, grant.plan, grant.limits, grant.features, start, end)


def unavailable(catalog: CatalogView | None, config: Config, now: float) -> Entitlements:
    """The default plan, answered when the store is down and the config allows it."""
    start, end = calendar_month(now)
    if catalog is None:
        return Entitlements(
            "unknown", config.default_plan, dict(config.default_limits), {}, start, end
        )
    default = catalog.default
    return Entitlements("unknown", default.plan, default.limits, default.features, start, end)
