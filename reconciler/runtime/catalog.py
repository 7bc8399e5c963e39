"""The runtime's view of the reconciled catalog: what each Stripe price grants (pure, no I/O).

Built from `stripe_catalog.LiveCatalog` (every page, metadata parsed by `reconciler.metadata`)
and the plans' config; limits a price does not set are filled from `config.default_limits`.
The view turns into JSON and back so processes can share it through the store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from reconciler.currencies import minor_units_per_major
from reconciler.metadata import format_limit, parse_limit, with_default_limits
from reconciler.model import FeatureValue, LimitSpec, Plans, plan_limit
from reconciler.stripe_catalog import LiveCatalog, LivePrice, LiveProduct

# 2: limits in their richer forms, and products' add-on flag.
FORMAT_VERSION = 2


@dataclass(frozen=True)
class Grant:
    """What a plan gives: its product key, limits (defaults filled) and features; an add-on's
    grant adds to a base plan's (`reconciler.runtime.combine`)."""

    plan: str | None
    limits: Mapping[str, LimitSpec] = field(default_factory=dict)
    features: Mapping[str, FeatureValue] = field(default_factory=dict)
    add_on: bool = False
    # The limits filled from `config.default_limits` (the price declares none of that name):
    # another item of the same product that declares one replaces it (`combine`).
    defaulted: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PlanPrice:
    """One Stripe price with its product, as `get_plans()` reports it."""

    price_id: str
    product_id: str
    lookup_key: str | None
    name: str
    description: str | None
    currency: str
    unit_amount: Decimal | None
    interval: str | None
    interval_count: int | None
    trial_days: int | None
    active: bool
    grant: Grant

    def as_dict(self) -> dict[str, Any]:
        """Plain values: `unit_amount` in the units Stripe takes, `amount` in the currency's
        major unit (divided by 100, by 1 for zero-decimal currencies such as jpy, by 1000 for
        three-decimal ones such as bhd)."""
        per_major = minor_units_per_major(self.currency)
        amount = None if self.unit_amount is None else self.unit_amount / per_major
        return {
            "price_id": self.price_id,
            "product_id": self.product_id,
            "plan": self.grant.plan,
            "lookup_key": self.lookup_key,
            "name": self.name,
            "description": self.description,
            "currency": self.currency,
            "unit_amount": self.unit_amount,
            "amount": amount,
            "interval": self.interval,
            "interval_count": self.interval_count,
            "trial_days": self.trial_days,
            "add_on": self.grant.add_on,
            "limits": {k: plan_limit(v) for k, v in self.grant.limits.items()},
            "features": dict(self.grant.features),
        }


@dataclass(frozen=True)
class CatalogView:
    """Every price of the account and the default plan's grant, indexed by price id."""

    prices: tuple[PlanPrice, ...]
    default: Grant
    fetched_at: float
    _by_id: dict[str, PlanPrice] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({p.price_id: p for p in self.prices})

    def price(self, price_id: str) -> PlanPrice | None:
        return self._by_id.get(price_id)

    def active_by_lookup_key(self, lookup_key: str) -> PlanPrice | None:
        return next((p for p in self.prices if p.active and p.lookup_key == lookup_key), None)

    def active_prices(self) -> tuple[PlanPrice, ...]:
        return tuple(p for p in self.prices if p.active)

    def with_prices(self, extra: Mapping[str, PlanPrice]) -> CatalogView:
        """This view plus the prices of `extra` it lacks (prices read one by one)."""
        missing = tuple(p for pid, p in extra.items() if pid not in self._by_id)
        if not missing:
            return self
        return CatalogView(self.prices + missing, self.default, self.fetched_at)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": FORMAT_VERSION,
                "fetched_at": self.fetched_at,
                "default": _grant_to_json(self.default),
                "prices": [_price_to_json(p) for p in self.prices],
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> CatalogView | None:
        """The view stored by `to_json`, or None for another format version."""
        raw = json.loads(text)
        if raw.get("version") != FORMAT_VERSION:
            return None
        return cls(
            prices=tuple(_price_from_json(p) for p in raw["prices"]),
            default=_grant_from_json(raw["default"]),
            fetched_at=float(raw["fetched_at"]),
        )


def build_view(live: LiveCatalog, plans: Plans, fetched_at: float) -> CatalogView:
    """The runtime view of a live catalog, with the configured default plan resolved."""
    defaults = plans.config.default_limits
    prices = tuple(
        plan_price(lp, live.product_by_id(lp.product_id), defaults) for lp in live.prices
    )
    return CatalogView(prices, _default_grant(live, plans), fetched_at)


def plan_price(
    lp: LivePrice, product: LiveProduct | None, default_limits: Mapping[str, LimitSpec]
) -> PlanPrice:
    """What one Stripe price grants, with its product (None when unknown) and defaults filled."""
    recurring = lp.price.recurring
    return PlanPrice(
        price_id=lp.id,
        product_id=lp.product_id,
        lookup_key=lp.price.lookup_key or None,
        name=product.name if product else "",
        description=product.description if product else None,
        currency=lp.price.currency,
        unit_amount=lp.price.unit_amount,
        interval=recurring.interval if recurring else None,
        interval_count=recurring.interval_count if recurring else None,
        trial_days=lp.price.trial_days,
        active=lp.price.active and bool(product and product.active),
        grant=Grant(
            plan=(product.key if product and product.key else lp.product_id),
            # An add-on adds only what it declares: the defaults come with the base.
            limits=(
                dict(lp.price.limits)
                if product and product.add_on
                else with_default_limits(lp.price.limits, default_limits)
            ),
            features=dict(lp.price.features),
            add_on=bool(product and product.add_on),
            defaulted=(
                frozenset()
                if product and product.add_on
                else frozenset(default_limits).difference(lp.price.limits)
            ),
        ),
    )


def _default_grant(live: LiveCatalog, plans: Plans) -> Grant:
    """The default plan: its live default price, else its declared default price, else the
    configured default limits alone."""
    config = plans.config
    key = config.default_plan
    if key is None:
        return Grant(None, dict(config.default_limits), {})
    product = live.product_by_key(key)
    if product is not None:
        own = live.prices_of(product.id)
        chosen: LivePrice | None = next((p for p in own if p.id == product.default_price_id), None)
        chosen = chosen or next((p for p in own if p.price.active), None)
        if chosen is not None:
            limits = with_default_limits(chosen.price.limits, config.default_limits)
            return Grant(key, limits, dict(chosen.price.features))
    declared = plans.catalog.product(key)
    if declared is not None and declared.prices:
        price = declared.price(declared.default_price or "") or declared.prices[0]
        limits = with_default_limits(price.limits, config.default_limits)
        return Grant(key, limits, dict(price.features))
    return Grant(key, dict(config.default_limits), {})


def _grant_to_json(grant: Grant) -> dict[str, Any]:
    return {
        "plan": grant.plan,
        "limits": {k: format_limit(v) for k, v in grant.limits.items()},
        "features": dict(grant.features),
        "add_on": grant.add_on,
        "defaulted": sorted(grant.defaulted),
    }


def _grant_from_json(raw: Mapping[str, Any]) -> Grant:
    limits = {k: parse_limit(v) for k, v in raw["limits"].items()}
    defaulted = frozenset(raw.get("defaulted", ()))
    return Grant(raw["plan"], limits, dict(raw["features"]), bool(raw.get("add_on")), defaulted)


def _price_to_json(p: PlanPrice) -> dict[str, Any]:
    out = {k: v for k, v in p.__dict__.items() if k != "grant"}
    out["unit_amount"] = None if p.unit_amount is None else str(p.unit_amount)
    out["grant"] = _grant_to_json(p.grant)
    return out


def _price_from_json(raw: Mapping[str, Any]) -> PlanPrice:
    values = dict(raw)
    amount = values.pop("unit_amount")
    grant = values.pop("grant")
    return PlanPrice(
        **values,
        unit_amount=None if amount is None else Decimal(amount),
        grant=_grant_from_json(grant),
    )
