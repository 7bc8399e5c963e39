"""Runtime fixtures: the example plans pushed to the emulator, a Billing on a real store, and a
`reconciler serve`-like webhook app (processing inline) on waitress in a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import stripe

from reconciler.cli.serve import create_server
from reconciler.metadata import price_metadata, product_metadata
from reconciler.model import Plans
from reconciler.plans import load_plans
from reconciler.runtime.billing import Billing
from reconciler.runtime.store import Store
from reconciler.runtime.store.redis_store import RedisStore
from reconciler.runtime.wsgi import make_app
from reconciler.stripe_client import StripeSettings
from reconciler.testing import EmulatorControl, LocalCluster, redis_cluster

PLANS_DIR = Path(__file__).resolve().parents[2] / "plans"
TEST_KEY = "sk_test_reconciler_suite"


def example_plans() -> Plans:
    loaded = load_plans(PLANS_DIR)
    assert loaded.plans is not None, [d.format() for d in loaded.diagnostics]
    return loaded.plans


def push_plans(client: stripe.StripeClient, plans: Plans) -> dict[str, str]:
    """Create the example catalog in the emulator as `reconciler apply` would; returns
    lookup key -> price id."""
    ids: dict[str, str] = {}
    for product in plans.catalog.products:
        params: Any = {"name": product.name, "metadata": product_metadata(product)}
        if product.description:
            params["description"] = product.description
        created = client.v1.products.create(params=params)
        for price in product.prices:
            price_params: Any = {
                "product": created.id,
                "currency": price.currency,
                "unit_amount": int(price.unit_amount or 0),
                "lookup_key": price.lookup_key,
                "metadata": price_metadata(price, plans.config),
                "tax_behavior": price.tax_behavior,
            }
            if price.recurring:
                price_params["recurring"] = {
                    "interval": price.recurring.interval,
                    "interval_count": price.recurring.interval_count,
                }
            ids[price.lookup_key] = client.v1.prices.create(params=price_params).id
        if product.default_price:
            client.v1.products.update(
                created.id, params={"default_price": ids[product.default_price]}
            )
    return ids


def plans_folder(folder: Path, files: dict[str, str]) -> Plans:
    """Write plan files into `folder` and load them (they must be valid)."""
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    loaded = load_plans(folder)
    assert loaded.plans is not None, [d.format() for d in loaded.diagnostics]
    return loaded.plans


@pytest.fixture
def plans_dir(tmp_path: Path) -> Path:
    """Where the plan files of a test module that has its own are written."""
    return tmp_path / "plans"


@pytest.fixture
def plans(request: pytest.FixtureRequest, tmp_path: Path) -> Plans:
    """The test module's own plan files (its `FILES`: file name -> YAML), written into
    `plans_dir` and loaded; the example plans for a module without them. (It names the folder
    itself: other folders' conftests import this fixture without `plans_dir`.)"""
    files: dict[str, str] | None = getattr(request.module, "FILES", None)
    return example_plans() if files is None else plans_folder(tmp_path / "plans", files)


@pytest.fixture
def price_ids(stripe_client: stripe.StripeClient, plans: Plans) -> dict[str, str]:
    return push_plans(stripe_client, plans)


def make_billing(
    emulator: EmulatorControl, plans: Plans, store: Store, webhook_secret: str | None = None
) -> Billing:
    settings = StripeSettings(TEST_KEY, emulator.url, webhook_secret)
    client = stripe.StripeClient(
        TEST_KEY,
        base_addresses={"api": emulator.url, "files": emulator.url, "connect": emulator.url},
        max_network_retries=0,
    )
    return Billing(plans, store, client, settings)


@dataclass
class Served:
    """A webhook app in a thread, registered with the emulator as a webhook endpoint."""

    billing: Billing
    url: str
    secret: str


@pytest.fixture
def served(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    price_ids: dict[str, str],
    redis_store: Store,
) -> Iterator[Served]:
    holder: dict[str, Billing] = {}

    def app(environ: dict[str, Any], start: Any) -> Any:
        return make_app(holder["billing"])(environ, start)

    server = create_server(app, "127.0.0.1", 0, client_timeout=60)
    url = f"http://127.0.0.1:{server.effective_port}/stripe/webhook"
    endpoint = stripe_client.v1.webhook_endpoints.create(
        params={"url": url, "enabled_events": ["*"]}
    )
    holder["billing"] = make_billing(emulator, plans, redis_store, str(endpoint.secret))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Served(holder["billing"], url, str(endpoint.secret))
    finally:
        server.close()
        server.task_dispatcher.shutdown()


@pytest.fixture(scope="session")
def redis_cluster_nodes() -> Iterator[LocalCluster]:
    """A three-node Redis Cluster on free ports for the session (tests flush it)."""
    with redis_cluster(3) as cluster:
        yield cluster


@pytest.fixture
def reader(redis_url: str) -> Iterator[RedisStore]:
    """A Redis store with the record cache on, its invalidation listener subscribed."""
    redis.Redis.from_url(redis_url).flushdb()
    store = RedisStore(redis_url)
    assert store.tracking is not None and store.tracking.wait_connected(5.0)
    yield store
    store.close()


def hmget_calls(url: str) -> int:
    """HMGETs the server has answered: a record read that missed the record cache."""
    stats = redis.Redis.from_url(url).info("commandstats")
    return int(stats.get("cmdstat_hmget", {}).get("calls", 0))
