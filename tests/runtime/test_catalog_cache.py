"""The catalog cache: list calls only, shared through the store, old copy kept when Stripe
is down."""

from __future__ import annotations

import pytest
import stripe

from reconciler.errors import StripeCallError
from reconciler.model import Plans
from reconciler.runtime.catalog_cache import CatalogCache
from reconciler.runtime.store import Store
from reconciler.stripe_catalog import read_live_catalog, read_price
from reconciler.testing import EmulatorControl
from tests.runtime.conftest import make_billing

FAIL_PRODUCTS = [{"method": "GET", "path_prefix": "/v1/products", "count": 1000, "status": 500}]


def cache(client: stripe.StripeClient, plans: Plans, store: Store, **kw: float) -> CatalogCache:
    # As Billing builds it: no backoff on a request's path.
    reader = lambda: read_live_catalog(client, plans.config, retry=None)  # noqa: E731
    by_id = lambda price_id: read_price(client, price_id, plans.config)  # noqa: E731
    return CatalogCache(store, reader, by_id, plans, **kw)


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
    # Products, then active and archived prices (Stripe lists only active ones by default).
    assert emulator.counters()["by_route"] == {"GET /v1/products": 1, "GET /v1/prices": 2}
    # A second process finds the shared copy and does not call Stripe.
    second = cache(stripe_client, plans, redis_store).view()
    assert second == first
    assert emulator.counters()["total"] == 3


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


def test_a_subscription_price_the_view_lacks_is_read_by_id_once(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    price_ids: dict[str, str],
    redis_store: Store,
) -> None:
    billing = make_billing(emulator, plans, redis_store)
    assert billing.entitlements("org_1")["plan"] == "free"  # the view is now cached
    # A price the cached view cannot hold (made after it was read, or missed by a list as in
    # stripe-python#1724), then archived: its subscriber keeps what it grants.
    pro_product = stripe_client.v1.prices.retrieve(price_ids["pro_monthly"]).product
    late = stripe_client.v1.prices.create(
        params={
            "product": str(pro_product),
            "currency": "usd",
            "unit_amount": 7700,
            "recurring": {"interval": "month"},
            "metadata": {"limits:seats": "42"},
        }
    )
    customer = billing.create_stripe_customer("org_1")
    card = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer})
    stripe_client.v1.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": card.id}}
    )
    stripe_client.v1.subscriptions.create(
        params={"customer": customer, "items": [{"price": late.id}]}
    )
    stripe_client.v1.prices.update(late.id, params={"active": False})
    billing.sync(customer)
    emulator.reset_counters()
    answer = billing.entitlements("org_1")
    assert (answer["status"], answer["plan"], answer["limits"]["seats"]) == ("active", "pro", 42)
    assert emulator.counters()["by_route"] == {"GET /v1/prices/:id": 1}
    assert billing.limit("org_1", "seats") == 42
    assert emulator.counters()["total"] == 1  # remembered by the process
