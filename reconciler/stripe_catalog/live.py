"""The live catalog in the plan model: Stripe products and prices, as plain values.

No SDK and no I/O here: `read.py` feeds these functions the plain dicts of Stripe's answers,
and the kinds' declarations (`reconciler.kinds`) turn them into terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.kinds import PRICE, PRODUCT, Lost
from reconciler.kinds.price_identity import is_legacy
from reconciler.metadata import (
    ADD_ON_KEY,
    ATTACHED_FEATURES_KEY,
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    PRODUCT_KEY_KEY,
    parse_price_metadata,
)
from reconciler.model import Config, Price, ProductTerms, Terms


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
    # The metadata strings exactly as Stripe holds them: the diff compares these with what the
    # plan pushes, so keys to delete and unparsable values are seen, never defaulted away.
    stripe_metadata: Mapping[str, str] = field(default_factory=dict)
    # Values Stripe holds that a plan file cannot represent (`import` reports them).
    lost: tuple[Lost, ...] = ()
    # The Stripe id of the meter a metered price bills against. `price.terms` names the meter
    # by its event name (as plans do), which an old, deactivated meter shares with its
    # successor: the id tells them apart (a price follows its meter by id: `Rules.follow_by`).
    meter_id: str | None = None
    # From before the current API model (a `plan_...` id, usage with `aggregate_usage`):
    # read-only, never replaced or archived by the tool.
    legacy: bool = False


@dataclass(frozen=True)
class LiveProduct(ProductTerms):
    """One Stripe product; `key` is its `plan-key` metadata (None when absent)."""

    id: str
    created: int
    key: str | None
    terms: Terms
    metadata: Mapping[str, str]
    default_price_id: str | None
    managed: bool
    add_on: bool = False
    lost: tuple[Lost, ...] = ()
    # Its `entitlement-features` metadata: the features the tool last recorded as attached.
    attached_marker: str | None = None


@dataclass(frozen=True)
class LiveObject:
    """One account-level object (meter, coupon, promotion code, Entitlements feature, product
    feature) in the terms its kind declares, references by plan key (`reconciler.kinds`).
    `key` is its identity as the plan files spell it (see `AccountObject`); `metadata` the
    strings Stripe holds, markers included (None for kinds without metadata)."""

    kind: str
    id: str
    key: str
    terms: Mapping[str, Any]
    managed: bool
    active: bool
    created: int
    metadata: Mapping[str, str] | None = None
    owner_id: str | None = None  # a product feature's product
    # A portal configuration is the account's default (the Dashboard's; Stripe cannot
    # deactivate it, so it is updated in place).
    is_default: bool = False


@dataclass(frozen=True)
class LiveCatalog:
    """Everything the account holds, newest first as Stripe lists it."""

    products: tuple[LiveProduct, ...] = ()
    prices: tuple[LivePrice, ...] = ()
    objects: tuple[LiveObject, ...] = ()
    _by_id: dict[str, LivePrice] = field(default_factory=dict, repr=False, compare=False)
    # Indexes built once: a diff of 1,000 prices looks these up per price.
    _products_by_id: dict[str, LiveProduct] = field(default_factory=dict, repr=False, compare=False)
    _by_product: dict[str, list[LivePrice]] = field(default_factory=dict, repr=False, compare=False)
    _by_lookup_key: dict[str, list[LivePrice]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._by_id.update({p.id: p for p in self.prices})
        self._products_by_id.update({p.id: p for p in self.products})
        for price in self.prices:
            self._by_product.setdefault(price.product_id, []).append(price)
            if price.price.lookup_key:
                self._by_lookup_key.setdefault(price.price.lookup_key, []).append(price)

    def product_by_key(self, key: str) -> LiveProduct | None:
        return next((p for p in self.products if p.key == key), None)

    def product_by_id(self, product_id: str) -> LiveProduct | None:
        return self._products_by_id.get(product_id)

    def prices_of(self, product_id: str) -> tuple[LivePrice, ...]:
        return tuple(self._by_product.get(product_id, ()))

    def prices_with_lookup_key(self, lookup_key: str) -> tuple[LivePrice, ...]:
        """Every price holding this lookup key (Stripe keeps at most one)."""
        return tuple(self._by_lookup_key.get(lookup_key, ()))

    def active_price_by_lookup_key(self, lookup_key: str) -> LivePrice | None:
        return next((p for p in self.prices_with_lookup_key(lookup_key) if p.price.active), None)

    def price_by_id(self, price_id: str) -> LivePrice | None:
        return self._by_id.get(price_id)

    def objects_of(self, kind: str) -> tuple[LiveObject, ...]:
        return tuple(o for o in self.objects if o.kind == kind)

    def find_id(self, kind: str, key: str) -> str | None:
        """The Stripe id of the object a plan key names (a product's plan key, the lookup key
        of an active price, the identity of an active account-level object), or None."""
        if kind == "product":
            return getattr(self.product_by_key(key), "id", None)
        if kind == "price":
            return getattr(self.active_price_by_lookup_key(key), "id", None)
        return next((o.id for o in self.objects_of(kind) if o.key == key and o.active), None)


def normalize_price(raw: Mapping[str, Any], config: Config) -> LivePrice:
    """A Stripe price (as a plain dict) in the plan model."""
    parsed = parse_price_metadata(raw.get("metadata") or {}, config)
    product = raw["product"]
    meter = (raw.get("recurring") or {}).get("meter")
    price = Price(
        terms=PRICE.from_stripe(raw),
        limits=parsed.limits,
        features=parsed.features,
        metadata=parsed.other,
        trial_days=parsed.trial_days,
        legacy=is_legacy(raw),
    )
    return LivePrice(
        id=raw["id"],
        product_id=product if isinstance(product, str) else product["id"],
        created=int(raw.get("created") or 0),
        price=price,
        managed=parsed.managed,
        metadata_errors=parsed.errors,
        stripe_metadata=dict(raw.get("metadata") or {}),
        lost=PRICE.lost(raw),
        meter_id=meter if isinstance(meter, str) else None,
    )


def normalize_product(raw: Mapping[str, Any]) -> LiveProduct:
    """A Stripe product (as a plain dict), its reserved metadata split off."""
    metadata = dict(raw.get("metadata") or {})
    key = metadata.pop(PRODUCT_KEY_KEY, None)
    managed = metadata.pop(MANAGED_BY_KEY, None) == MANAGED_BY_VALUE
    add_on = metadata.pop(ADD_ON_KEY, None) == "true"
    attached_marker = metadata.pop(ATTACHED_FEATURES_KEY, None)
    default = raw.get("default_price")
    return LiveProduct(
        id=raw["id"],
        created=int(raw.get("created") or 0),
        key=key,
        terms=PRODUCT.from_stripe(raw),
        metadata=metadata,
        default_price_id=default if isinstance(default, str | None) else default["id"],
        managed=managed,
        add_on=add_on,
        lost=PRODUCT.lost(raw),
        attached_marker=attached_marker,
    )
