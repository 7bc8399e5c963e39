"""The catalog cache: list calls only, shared through the store, old copy kept when Stripe
is down."""

from __future__ import annotations

import pytest
import stripe

from reconciler.errors import StripeCallError
from reconciler.model import Plans
from reconciler.runtime.catalog_cache import CatalogCache
from reconciler.runtime.store import Store
from reconciler.stripe_catalog import read_live_catalog
from reconciler.testing import EmulatorControl

FAIL_PRODUCTS = [{"method": "GET", "path_prefix": "/v1/products", "count": 1000, "status": 500}]


def cache(client: stripe.StripeClient, plans: Plans, store: Store, **kw: float) -> CatalogCache:
    # As Billing builds it: no backoff on a request's path.
    reader = lambda: read_live_catalog(client, plans.config, retry=None)  # noqa: E731
    return CatalogCache(store, reader, plans, **kw)


def test_view_is_read_with_list_calls_and_shared_through_the_store(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    price_ids: dict[str, str],
    redis_store: Store,
) -> None:
    emulator.reset_counters()
    first = cache(stripe_client, plans, redis_store).view()
    assert {p.price_id for p in first.prices} == set(price_ids.values())
    assert emulator.counters()["by_route"] == {"GET /v1/products": 1, "GET /v1/prices": 1}
    # A second process finds the shared copy and does not call Stripe.
    second = cache(stripe_client, plans, redis_store).view()
    assert second == first
    assert emulator.counters()["total"] == 2


def test_old_copy_answers_while_stripe_is_down(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    price_ids: dict[str, str],
    redis_store: Store,
) -> None:
    stale = cache(stripe_client, plans, redis_store, local_ttl=0.0, max_age=0.0)
    before = stale.view()
    emulator.faults(fail_requests=FAIL_PRODUCTS)
    assert stale.view() == before
    redis_store.set_catalog("{}")  # no usable shared copy and nothing in process
    with pytest.raises(StripeCallError, match=r"^reading products: "):
        cache(stripe_client, plans, redis_store).view()
