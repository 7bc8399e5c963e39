"""Reading the catalog: every page of a list endpoint, 100 objects a call.

Reading costs ceil(products / 100) + ceil(prices / 100) list calls: every page is read until
Stripe says `has_more` is false, never one call per object.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import stripe

from reconciler.kinds import PRICE
from reconciler.model import Config
from reconciler.retry import DEFAULT_POLICY, RetryPolicy, call_with_retry
from reconciler.stripe_catalog.live import LiveCatalog, normalize_price, normalize_product
from reconciler.stripe_client import stripe_errors

PAGE_SIZE = 100


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


def page_caller(policy: RetryPolicy | None) -> PageCall:
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
            normalize_product(p) for p in list_all(client.v1.products, {}, page_caller(retry))
        )
    with stripe_errors("reading prices"):
        prices = tuple(
            normalize_price(p, config)
            for p in list_all(client.v1.prices, {"expand": PRICE.expand()}, page_caller(retry))
        )
    return LiveCatalog(products=products, prices=prices)
