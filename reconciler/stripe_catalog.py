"""The Stripe catalog boundary: products and prices read with list calls, normalized to the
plan model. Nothing past this module sees a StripeObject.

Reading costs ceil(products / 100) + ceil(prices / 100) list calls: every page is read until
Stripe says `has_more` is false, never one call per object.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import stripe

from reconciler.metadata import (
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    PRODUCT_KEY_KEY,
    parse_price_metadata,
)
from reconciler.model import Config, Price, Recurring, Tier
from reconciler.stripe_client import stripe_errors

PAGE_SIZE = 100


@dataclass(frozen=True)
class LivePrice:
    """One Stripe price. `price.lookup_key` is "" when Stripe has none; limits and features
    are parsed from metadata exactly as stored (no defaults filled)."""

    id: str
    product_id: str
    created: int
    price: Price
    managed: bool
    metadata_errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class LiveProduct:
    """One Stripe product; `key` is its `plan-key` metadata (None when absent)."""

    id: str
    created: int
    key: str | None
    name: str
    description: str | None
    active: bool
    metadata: Mapping[str, str]
    default_price_id: str | None
    managed: bool


@dataclass(frozen=True)
class LiveCatalog:
    """Everything the account holds, newest first as Stripe lists it."""

    products: tuple[LiveProduct, ...] = ()
    prices: tuple[LivePrice, ...] = ()
    _by_id: dict[str, LivePrice] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({p.id: p for p in self.prices})

    def product_by_key(self, key: str) -> LiveProduct | None:
        return next((p for p in self.products if p.key == key), None)

    def product_by_id(self, product_id: str) -> LiveProduct | None:
        return next((p for p in self.products if p.id == product_id), None)

    def prices_of(self, product_id: str) -> tuple[LivePrice, ...]:
        return tuple(p for p in self.prices if p.product_id == product_id)

    def active_price_by_lookup_key(self, lookup_key: str) -> LivePrice | None:
        return next(
            (p for p in self.prices if p.price.active and p.price.lookup_key == lookup_key), None
        )

    def price_by_id(self, price_id: str) -> LivePrice | None:
        return self._by_id.get(price_id)


def _amount(decimal_text: Any, integer: Any) -> Decimal | None:
    if decimal_text is not None:
        return Decimal(str(decimal_text))
    return None if integer is None else Decimal(int(integer))


def _tier(raw: Mapping[str, Any]) -> Tier:
    return Tier(
        up_to=raw.get("up_to"),
        unit_amount=_amount(raw.get("unit_amount_decimal"), raw.get("unit_amount")),
        flat_amount=_amount(raw.get("flat_amount_decimal"), raw.get("flat_amount")),
    )


def normalize_price(raw: Mapping[str, Any], config: Config) -> LivePrice:
    """A Stripe price (as a plain dict) in the plan model."""
    parsed = parse_price_metadata(raw.get("metadata") or {}, config)
    recurring = raw.get("recurring")
    product = raw["product"]
    tiers = tuple(_tier(t) for t in raw.get("tiers") or ())
    price = Price(
        lookup_key=raw.get("lookup_key") or "",
        currency=raw["currency"],
        unit_amount=None
        if tiers
        else _amount(raw.get("unit_amount_decimal"), raw.get("unit_amount")),
        recurring=Recurring(recurring["interval"], recurring.get("interval_count") or 1)
        if recurring
        else None,
        nickname=raw.get("nickname"),
        tax_behavior=raw.get("tax_behavior") or "unspecified",
        trial_days=parsed.trial_days,
        tiers_mode=raw.get("tiers_mode"),
        tiers=tiers,
        limits=parsed.limits,
        features=parsed.features,
        metadata=parsed.other,
        active=bool(raw.get("active")),
    )
    return LivePrice(
        id=raw["id"],
        product_id=product if isinstance(product, str) else product["id"],
        created=int(raw.get("created") or 0),
        price=price,
        managed=parsed.managed,
        metadata_errors=parsed.errors,
    )


def normalize_product(raw: Mapping[str, Any]) -> LiveProduct:
    """A Stripe product (as a plain dict), its reserved metadata split off."""
    metadata = dict(raw.get("metadata") or {})
    key = metadata.pop(PRODUCT_KEY_KEY, None)
    managed = metadata.pop(MANAGED_BY_KEY, None) == MANAGED_BY_VALUE
    default = raw.get("default_price")
    return LiveProduct(
        id=raw["id"],
        created=int(raw.get("created") or 0),
        key=key,
        name=raw.get("name") or "",
        description=raw.get("description"),
        active=bool(raw.get("active")),
        metadata=metadata,
        default_price_id=default if isinstance(default, str | None) else default["id"],
        managed=managed,
    )


def list_all(lister: Any, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every object of a list endpoint, one call per page of 100, until `has_more` is false."""
    cursor: str | None = None
    while True:
        page_params = {**params, "limit": PAGE_SIZE}
        if cursor:
            page_params["starting_after"] = cursor
        page = lister.list(params=page_params)
        data = [item.to_dict() for item in page.data]
        yield from data
        if not page.has_more or not data:
            return
        cursor = data[-1]["id"]


def read_live_catalog(client: stripe.StripeClient, config: Config) -> LiveCatalog:
    """Every product and price of the account (active or not), normalized."""
    with stripe_errors("reading products"):
        products = tuple(normalize_product(p) for p in list_all(client.v1.products, {}))
    with stripe_errors("reading prices"):
        prices = tuple(
            normalize_price(p, config)
            for p in list_all(client.v1.prices, {"expand": ["data.tiers"]})
        )
    return LiveCatalog(products=products, prices=prices)
