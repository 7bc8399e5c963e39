"""The plan model: frozen values shared by the plan files, Stripe's live catalog and the runtime.

No I/O here. Amounts are `Decimal` minor units (cents for USD), so `4900` and Stripe's
`unit_amount_decimal: "4900"` compare equal, and fractional amounts such as `"0.5"` fit.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal, TypeAlias, cast


class Unlimited(enum.Enum):
    """The value of a limit with no cap (written `unlimited` in plan files and metadata)."""

    UNLIMITED = "unlimited"

    def __str__(self) -> str:
        return self.value


UNLIMITED = Unlimited.UNLIMITED

LimitValue: TypeAlias = int | Literal[Unlimited.UNLIMITED]
FeatureValue: TypeAlias = bool | int | float | str

# When a limit's usage counter starts again from zero: on calendar-like windows anchored at
# the start of the billing period, with the billing period (the default), or never.
Reset = Literal["day", "week", "month", "year", "billing_period", "never"]
RESETS: tuple[Reset, ...] = ("day", "week", "month", "year", "billing_period", "never")


@dataclass(frozen=True)
class Limit:
    """A limit richer than a plain value: `{per_unit: N}` (N times the quantity of the item
    that grants it), `{value: N, reset: month}` (its own reset period) or `{value: N, meter:
    event_name}` (each consumed unit is also billed to the Stripe meter with that event name,
    which the objects file must declare).
    A plain value (`1000`, `unlimited`) stays a plain `LimitValue`; see `limit_spec`."""

    value: LimitValue
    per_unit: bool = False
    reset: Reset = "billing_period"
    meter: str | None = None

    def as_plan(self) -> dict[str, Any]:
        """The plan-file form: `{per_unit: N}` or `{value: N}`, with `reset` and `meter`
        only when they are not the defaults."""
        plain: int | str = "unlimited" if self.value is UNLIMITED else self.value
        out: dict[str, Any] = {"per_unit": plain} if self.per_unit else {"value": plain}
        if self.reset != "billing_period":
            out["reset"] = self.reset
        if self.meter is not None:
            out["meter"] = self.meter
        return out


# A declared limit: a plain value, or a `Limit` for the richer forms.
LimitSpec: TypeAlias = int | Literal[Unlimited.UNLIMITED] | Limit


def limit_spec(limit: Limit) -> LimitSpec:
    """The simplest form of a limit: a `Limit` that only carries a value is that value, so a
    plain limit always reads and writes as a plain value."""
    if not limit.per_unit and limit.reset == "billing_period" and limit.meter is None:
        return limit.value
    return limit


def as_limit(spec: LimitSpec) -> Limit:
    """Every form of a declared limit as a `Limit`."""
    return spec if isinstance(spec, Limit) else Limit(spec)


def plan_limit(spec: LimitSpec) -> int | str | dict[str, Any]:
    """A declared limit as a plan file (and `get_limits`) writes it."""
    if isinstance(spec, Limit):
        return spec.as_plan()
    return "unlimited" if spec is UNLIMITED else spec


Interval = Literal["day", "week", "month", "year"]
TaxBehavior = Literal["inclusive", "exclusive", "unspecified"]
TiersMode = Literal["graduated", "volume"]
ProrationBehavior = Literal["create_prorations", "none", "always_invoice"]
# The states of an object's Stripe fields, by field name (see `reconciler.kinds`): plain JSON
# values, amounts as decimal strings in minor units. Plan files and Stripe give the same shape.
Terms = Mapping[str, Any]


def _decimal(text: Any) -> Decimal | None:
    return None if text is None else Decimal(str(text))


@dataclass(frozen=True)
class Recurring:
    """How often a recurring price bills."""

    interval: Interval
    interval_count: int = 1


@dataclass(frozen=True)
class Tier:
    """One tier of a tiered price; `up_to=None` is Stripe's `inf` (the last tier)."""

    up_to: int | None
    unit_amount: Decimal | None = None
    flat_amount: Decimal | None = None


@dataclass(frozen=True)
class Price:
    """A price as declared or as Stripe holds it: `terms` are its Stripe fields (declared in
    `reconciler.kinds.price`); limits and features are effective values (the product's, with
    this price's overrides applied). Identity is the lookup key."""

    terms: Terms
    limits: Mapping[str, LimitSpec] = field(default_factory=dict)
    features: Mapping[str, FeatureValue] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)
    trial_days: int | None = None
    # A price from before the current API model (a legacy `plan_...` id, or usage billed with
    # `aggregate_usage` from before 2025-03-31.basil): kept read-only, never replaced, archived
    # or created by the tool (`legacy: true` in plan files).
    legacy: bool = False

    @property
    def lookup_key(self) -> str:
        return str(self.terms.get("lookup_key") or "")

    @property
    def currency(self) -> str:
        return str(self.terms["currency"])

    @property
    def unit_amount(self) -> Decimal | None:
        return _decimal(self.terms.get("unit_amount"))

    @property
    def recurring(self) -> Recurring | None:
        raw = self.terms.get("recurring")
        return None if raw is None else Recurring(raw["interval"], raw["interval_count"])

    @property
    def nickname(self) -> str | None:
        return self.terms.get("nickname")

    @property
    def tax_behavior(self) -> TaxBehavior:
        return cast(TaxBehavior, self.terms.get("tax_behavior", "unspecified"))

    @property
    def tiers_mode(self) -> TiersMode | None:
        return self.terms.get("tiers_mode")

    @property
    def tiers(self) -> tuple[Tier, ...]:
        return tuple(
            Tier(
                None if t["up_to"] == "inf" else int(t["up_to"]),
                _decimal(t.get("unit_amount")),
                _decimal(t.get("flat_amount")),
            )
            for t in self.terms.get("tiers") or ()
        )

    @property
    def active(self) -> bool:
        return bool(self.terms.get("active", True))

    @property
    def billing_scheme(self) -> Literal["per_unit", "tiered"]:
        return "tiered" if self.terms.get("tiers") else "per_unit"

    @property
    def type(self) -> Literal["one_time", "recurring"]:
        return "recurring" if self.terms.get("recurring") else "one_time"


class ProductTerms:
    """The product fields the tool reads by name, from `terms` (a declared product's or a
    Stripe product's)."""

    terms: Terms

    @property
    def name(self) -> str:
        return str(self.terms.get("name") or "")

    @property
    def description(self) -> str | None:
        return self.terms.get("description")

    @property
    def active(self) -> bool:
        return bool(self.terms.get("active", True))


@dataclass(frozen=True)
class Product(ProductTerms):
    """A product as declared: `terms` are its Stripe fields (`reconciler.kinds.product`);
    identity is `key`, stored in Stripe metadata so it survives across test and live
    accounts, whose object ids differ."""

    key: str
    terms: Terms
    metadata: Mapping[str, str] = field(default_factory=dict)
    prices: tuple[Price, ...] = ()
    default_price: str | None = None
    limits: Mapping[str, LimitSpec] = field(default_factory=dict)
    features: Mapping[str, FeatureValue] = field(default_factory=dict)
    proration_behavior: ProrationBehavior = "create_prorations"
    # An add-on adds its limits (times its quantity) and features to a base plan's; it is
    # never an entity's plan by itself (metadata `add-on: true`).
    add_on: bool = False
    # With `stripe_entitlements`: the lookup keys of the Entitlements features attached to it
    # (its granted boolean features); None when the tool does not keep Stripe Entitlements.
    entitlement_features: tuple[str, ...] | None = None

    def price(self, lookup_key: str) -> Price | None:
        """The price with this lookup key, if the product declares it."""
        return next((p for p in self.prices if p.lookup_key == lookup_key), None)


@dataclass(frozen=True)
class AccountObject:
    """An object of an account-level kind (a meter, coupon, promotion code, Entitlements
    feature or product feature) as the plan files declare it. `terms` are its Stripe fields as
    the kind declares them (`reconciler.kinds`); `key` is its identity: a meter's event name,
    a coupon's plan key (or its own id when it has no plan key), a promotion code's code, a
    feature's lookup key, a portal configuration's key (`default` for the account's default
    one), `<product key>/<feature lookup key>` for a feature attached to a product."""

    kind: str
    key: str
    terms: Mapping[str, Any]
    metadata: Mapping[str, str] = field(default_factory=dict)
    # The plan key other objects use to name it (a meter's `key`), when it differs from `key`.
    alias: str | None = None
    # The id the user chose for it, sent when it is created (a coupon's `id`).
    own_id: str | None = None


@dataclass(frozen=True)
class Catalog:
    """Every product, sorted by key, and the account-level objects, sorted by kind and key."""

    products: tuple[Product, ...] = ()
    objects: tuple[AccountObject, ...] = ()

    def product(self, key: str) -> Product | None:
        return next((p for p in self.products if p.key == key), None)

    def objects_of(self, kind: str) -> tuple[AccountObject, ...]:
        return tuple(o for o in self.objects if o.kind == kind)

    def prices(self) -> tuple[tuple[Product, Price], ...]:
        return tuple((prod, price) for prod in self.products for price in prod.prices)


@dataclass(frozen=True)
class Urls:
    """Where Stripe sends the browser back to after Checkout and the Billing Portal."""

    checkout_success: str | None = None
    checkout_cancel: str | None = None
    portal_return: str | None = None


Mode = Literal["test", "live"]


@dataclass(frozen=True)
class Config:
    """The folder's `reconciler.yaml`: prefixes, defaults and per-environment values."""

    limits_prefix: str = "limits:"
    features_prefix: str = "features:"
    default_limits: Mapping[str, LimitSpec] = field(default_factory=dict)
    default_plan: str | None = None
    urls: Urls = field(default_factory=Urls)
    environments: Mapping[Mode, Urls] = field(default_factory=dict)
    on_store_unavailable: Literal["fail", "default_plan"] = "fail"
    # Keep each boolean feature as a Stripe Entitlements feature attached to its products.
    stripe_entitlements: bool = False

    def urls_for(self, mode: Mode) -> Urls:
        """The URLs for a key's mode: the environment's values over the shared ones."""
        env = self.environments.get(mode)
        if env is None:
            return self.urls
        return Urls(
            checkout_success=env.checkout_success or self.urls.checkout_success,
            checkout_cancel=env.checkout_cancel or self.urls.checkout_cancel,
            portal_return=env.portal_return or self.urls.portal_return,
        )


@dataclass(frozen=True)
class Plans:
    """A loaded plans folder: the desired catalog and its configuration."""

    catalog: Catalog
    config: Config


def with_meter(price: Price, rename: Mapping[str, str]) -> Price:
    """`price` with its metered recurrence's meter reference renamed through `rename` (a
    meter's plan key, event name or Stripe id, whichever the caller maps); unchanged if it
    names no meter or one `rename` does not know."""
    recurring = price.terms.get("recurring")
    if not isinstance(recurring, Mapping) or recurring.get("meter") not in rename:
        return price
    terms = {**price.terms, "recurring": {**recurring, "meter": rename[recurring["meter"]]}}
    return replace(price, terms=terms)
