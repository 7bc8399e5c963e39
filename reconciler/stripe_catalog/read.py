"""Reading the catalog: every page of a list endpoint, 100 objects a call.

Reading costs ceil(products / 100) + ceil(active prices / 100) + ceil(archived prices / 100)
list calls (at least one each): every page is read until Stripe says `has_more` is false, never
one call per object. Stripe lists only active prices unless asked for `active=false`
(docs.stripe.com/api/prices/list), so archived prices are read by a second, explicit list.
Meters, coupons and promotion codes cost one more call per 100 of each (`read_objects.py`);
paging itself is `paging.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import stripe

from reconciler.errors import StripeCallError
from reconciler.kinds import PRICE
from reconciler.model import Config, with_meter
from reconciler.retry import DEFAULT_POLICY, RetryPolicy
from reconciler.stripe_catalog.live import (
    LiveCatalog,
    LivePrice,
    LiveProduct,
    normalize_price,
    normalize_product,
)
from reconciler.stripe_catalog.paging import Pace, Progress, list_all, no_progress, page_caller
from reconciler.stripe_catalog.read_objects import read_live_objects
from reconciler.stripe_client import stripe_errors


def read_live_catalog(
    client: stripe.StripeClient,
    config: Config,
    retry: RetryPolicy | None = DEFAULT_POLICY,
    objects: bool = False,
    recorded: Mapping[str, tuple[str, ...]] | None = None,
    *,
    every: bool = False,
    progress: Progress = no_progress,
    pace: Pace | None = None,
) -> LiveCatalog:
    """Every product and price of the account (active or not), normalized. Pages that fail
    with a 429, a 5xx or a connection error are retried with backoff; `retry=None` leaves
    retrying to the client's own settings (for callers that must answer quickly). With
    `objects`, the account-level objects too (meters, coupons, ...: what `diff` compares);
    `recorded` spares reading the products whose attachment marker matches it (see
    `read_live_objects`). With `every` (what `import` reads), nothing is left out: the
    features attached to every product, inactive portal configurations and archived
    features too. `progress` is told what each list has read; `pace`, when given, is called
    before each request (a rate limiter's `acquire`: `import` reads at Stripe's limit)."""
    call = page_caller(retry, pace)
    with stripe_errors("reading products"):
        products = tuple(normalize_product(p) for p in list_all(client.v1.products, {}, call))
    progress(f"read {len(products)} products")
    prices: list[LivePrice] = []
    for active, what in ((True, "prices"), (False, "archived prices")):
        with stripe_errors(f"reading {what}"):
            params = {"active": active, "expand": PRICE.expand()}
            found = [normalize_price(p, config) for p in list_all(client.v1.prices, params, call)]
        prices.extend(found)
        progress(f"read {len(found)} {what}")
    if not objects:
        return LiveCatalog(products=products, prices=tuple(prices))
    found_objects = read_live_objects(
        client, products, prices, config, call, recorded, every=every, progress=progress
    )
    events = {o.id: o.key for o in found_objects if o.kind == "meter"}
    named = tuple(replace(p, price=with_meter(p.price, events)) for p in prices)
    return LiveCatalog(products=products, prices=named, objects=found_objects)


def read_price(
    client: stripe.StripeClient, price_id: str, config: Config
) -> tuple[LivePrice, LiveProduct] | None:
    """One price by id with its product (one request), archived or not; None when Stripe has
    no such price. The runtime's answer for a subscription whose price a list did not hold
    (stripe-python#1724: `list(active=false)` has been seen to miss archived prices)."""
    params: Any = {"expand": ["product", *(e.removeprefix("data.") for e in PRICE.expand())]}
    try:
        with stripe_errors(f"reading price {price_id}"):
            raw = client.v1.prices.retrieve(price_id, params=params).to_dict()
    except StripeCallError as error:
        cause = error.__cause__
        if isinstance(cause, stripe.InvalidRequestError) and cause.code == "resource_missing":
            return None
        raise
    return normalize_price(raw, config), normalize_product(raw["product"])
