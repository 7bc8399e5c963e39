"""The Stripe catalog boundary: products and prices read with list calls, normalized to the
plan model. Nothing past this module sees a StripeObject.

Reading costs ceil(products / 100) + ceil(prices / 100) list calls: every page is read until
Stripe says `has_more` is false, never one call per object.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import stripe

from reconciler.metadata import (
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    PRODUCT_KEY_KEY,
    parse_price_metadata,
)
from reconciler.model import Config, Price, Recurring, Tier
from reconciler.retry import DEFAULT_POLICY, RetryPolicy, call_with_retry
from reconciler.stripe_client import stripe_errors

PAGE_SIZE = 100
T = TypeVar("T")


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
        stripe_metadata=dict(raw.get("metadata") or {}),
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


PageCall = Callable[[Callable[[], Any]], Any]


def _once(fetch: Callable[[], Any]) -> Any:
    return fetch()


def list_all(
    lister: Any, params: dict[str, Any], call: PageCall = _once
) -> Iterator[dict[str, Any]]:
    """Every object of a list endpoint (`client.v1.prices`, ...) as plain dicts, one request
    per page of 100, until `has_more` is false. `call` runs each page's request: pass a
    retrying (and pacing) caller such as `lambda fetch: call_with_retry(fetch, policy)`."""
    cursor: str | None = None
    while True:
        page_params = {**params, "limit": PAGE_SIZE}
        if cursor:
            page_params["starting_after"] = cursor
        page = call(functools.partial(lister.list, params=page_params))
        data = [item.to_dict() for item in page.data]
        yield from data
        if not page.has_more or not data:
            return
        cursor = str(data[-1]["id"])


def _retrying(policy: RetryPolicy | None) -> PageCall:
    if policy is None:
        return _once
    return lambda fetch: call_with_retry(fetch, policy)


def read_live_catalog(
    client: stripe.StripeClient, config: Config, retry: RetryPolicy | None = DEFAULT_POLICY
) -> LiveCatalog:
    """Every product and price of the account (active or not), normalized. Pages that fail
    with a 429, a 5xx or a connection error are retried with backoff; `retry=None` leaves
    retrying to the client's own settings (for callers that must answer quickly)."""
    with stripe_errors("reading products"):
        products = tuple(
            normalize_product(p) for p in list_all(client.v1.products, {}, _retrying(retry))
        )
    with stripe_errors("reading prices"):
        prices = tuple(
            normalize_price(p, config)
            for p in list_all(client.v1.prices, {"expand": ["data.tiers"]}, _retrying(retry))
        )
    return LiveCatalog(products=products, prices=prices)


# --- Write side: every call carries an idempotency key, so a retried request (by the retry
# policy or by a rerun of the same plan) cannot create a second object.


def _write(call: Callable[[], T]) -> T:
    """One catalog write, retried on 429, 5xx and connection errors (reconciler.retry)."""
    return call_with_retry(call, DEFAULT_POLICY)


def _options(idempotency_key: str) -> Any:
    return {"idempotency_key": idempotency_key}


def _metadata_params(before: Mapping[str, str] | None, after: Mapping[str, str]) -> dict[str, str]:
    """The metadata to send: every wanted value, and "" for each key to delete (Stripe's way)."""
    out = dict(after)
    out.update({k: "" for k in (before or {}) if k not in after})
    return out


def _amount_params(name: str, text: str | None) -> dict[str, Any]:
    """`unit_amount` for whole minor units, `unit_amount_decimal` only for fractions."""
    if text is None:
        return {}
    amount = Decimal(text)
    if amount == amount.to_integral_value():
        return {name: int(amount)}
    return {f"{name}_decimal": text}


def _tier_params(tier: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "up_to": tier["up_to"],
        **_amount_params("unit_amount", tier["unit_amount"]),
        **_amount_params("flat_amount", tier["flat_amount"]),
    }


def create_product(client: stripe.StripeClient, state: Mapping[str, Any], key: str) -> str:
    """Create a product from its plan state (no default price yet: prices come after)."""
    params: Any = {  # a TypedDict for the SDK, built field by field
        "name": state["name"],
        "active": state["active"],
        "metadata": dict(state["metadata"]),
    }
    if state.get("description"):
        params["description"] = state["description"]
    with stripe_errors(f"creating product {state['metadata'].get(PRODUCT_KEY_KEY)}"):
        created = _write(lambda: client.v1.products.create(params=params, options=_options(key)))
    return str(created.id)


def update_product(
    client: stripe.StripeClient,
    product_id: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    key: str,
) -> None:
    """Push the differing product fields except the default price (set once prices exist)."""
    params: Any = {}  # a TypedDict for the SDK, built field by field
    for name in ("name", "active"):
        if before.get(name) != after.get(name):
            params[name] = after[name]
    if before.get("description") != after.get("description"):
        params["description"] = after.get("description") or ""
    if before.get("metadata") != after.get("metadata"):
        params["metadata"] = _metadata_params(before.get("metadata"), after["metadata"])
    if not params:
        return
    with stripe_errors(f"updating product {product_id}"):
        _write(lambda: client.v1.products.update(product_id, params=params, options=_options(key)))


def set_default_price(
    client: stripe.StripeClient, product_id: str, price_id: str, key: str
) -> None:
    with stripe_errors(f"setting the default price of {product_id} to {price_id}"):
        params: Any = {"default_price": price_id}
        _write(lambda: client.v1.products.update(product_id, params=params, options=_options(key)))


def create_price(
    client: stripe.StripeClient,
    product_id: str,
    state: Mapping[str, Any],
    key: str,
    transfer_lookup_key: bool = False,
) -> str:
    """Create a price from its plan state; `transfer_lookup_key` takes the key from its
    current holder atomically (the replacement path)."""
    params: Any = {  # a TypedDict for the SDK, built field by field
        "product": product_id,
        "currency": state["currency"],
        "tax_behavior": state["tax_behavior"],
        "metadata": dict(state["metadata"]),
        "active": state["active"],
    }
    if state["lookup_key"]:
        params["lookup_key"] = state["lookup_key"]
        if transfer_lookup_key:
            params["transfer_lookup_key"] = True
    if state["nickname"]:
        params["nickname"] = state["nickname"]
    if state["recurring"]:
        params["recurring"] = dict(state["recurring"])
    if state["tiers"]:
        params["billing_scheme"] = "tiered"
        params["tiers_mode"] = state["tiers_mode"]
        params["tiers"] = [_tier_params(t) for t in state["tiers"]]
    else:
        params.update(_amount_params("unit_amount", state["unit_amount"]))
    with stripe_errors(f"creating price {state['lookup_key']}"):
        created = _write(lambda: client.v1.prices.create(params=params, options=_options(key)))
    return str(created.id)


def update_price(
    client: stripe.StripeClient,
    price_id: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    key: str,
) -> None:
    """Push the fields Stripe lets a price change: active, metadata, nickname, lookup key and
    tax behaviour (only while unspecified)."""
    params: Any = {}  # a TypedDict for the SDK, built field by field
    if before.get("active") != after["active"]:
        params["active"] = after["active"]
    if before.get("nickname") != after["nickname"]:
        params["nickname"] = after["nickname"] or ""
    if before.get("tax_behavior") != after["tax_behavior"]:
        params["tax_behavior"] = after["tax_behavior"]
    if before.get("lookup_key") != after["lookup_key"]:
        params["lookup_key"] = after["lookup_key"] or ""
        params["transfer_lookup_key"] = True
    if before.get("metadata") != after["metadata"]:
        params["metadata"] = _metadata_params(before.get("metadata"), after["metadata"])
    if not params:
        return
    with stripe_errors(f"updating price {price_id}"):
        _write(lambda: client.v1.prices.update(price_id, params=params, options=_options(key)))


def archive(client: stripe.StripeClient, kind: str, object_id: str, key: str) -> None:
    """Set `active: false` on a product or price (the tool never deletes)."""
    service = client.v1.products if kind == "product" else client.v1.prices
    with stripe_errors(f"archiving {kind} {object_id}"):
        params: Any = {"active": False}
        _write(lambda: service.update(object_id, params=params, options=_options(key)))


# Subscriptions that hold entitlements: the ones an impact count and a migration care about.
ENTITLED_STATUSES = ("active", "trialing")


@dataclass(frozen=True)
class SubscriptionItemRef:
    """A subscription item on a given price: what a migration moves."""

    subscription_id: str
    item_id: str


def subscription_items(
    client: stripe.StripeClient, price_id: str, statuses: tuple[str, ...] = ENTITLED_STATUSES
) -> tuple[SubscriptionItemRef, ...]:
    """The items on `price_id` of subscriptions in `statuses`, one list call per 100."""
    found: list[SubscriptionItemRef] = []
    with stripe_errors(f"listing subscriptions of {price_id}"):
        for status in statuses:
            query = {"price": price_id, "status": status}
            for sub in list_all(client.v1.subscriptions, query, _retrying(DEFAULT_POLICY)):
                for item in (sub.get("items") or {}).get("data") or ():
                    item_price = item.get("price") or {}
                    pid = item_price if isinstance(item_price, str) else item_price.get("id")
                    if pid == price_id:
                        found.append(SubscriptionItemRef(sub["id"], item["id"]))
    return tuple(found)


def move_subscription_item(
    client: stripe.StripeClient,
    ref: SubscriptionItemRef,
    new_price_id: str,
    proration_behavior: str,
    key: str,
) -> None:
    """Swap one subscription item to another price, prorated as the product says."""
    params: Any = {  # a TypedDict for the SDK, built field by field
        "items": [{"id": ref.item_id, "price": new_price_id}],
        "proration_behavior": proration_behavior,
    }
    with stripe_errors(f"moving subscription {ref.subscription_id} to {new_price_id}"):
        _write(
            lambda: client.v1.subscriptions.update(
                ref.subscription_id, params=params, options=_options(key)
            )
        )
