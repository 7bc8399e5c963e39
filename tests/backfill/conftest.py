"""Fixtures for the bulk commands: the CLI's environment on the emulator and a flushed Redis."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from reconciler.backfill.calls import ApiCaller
from reconciler.ratelimit import shared_limits
from reconciler.retry import RetryPolicy
from reconciler.runtime.store import Store
from reconciler.testing import EmulatorControl

TEST_KEY = "sk_test_reconciler_suite"
# Patient enough that an injected storm cannot exhaust it; short sleeps keep the suite fast.
PATIENT = RetryPolicy(max_attempts=30, base_delay=0.05, max_delay=0.5)


@pytest.fixture
def store(redis_store: Store) -> Store:
    """Bulk runs share their limiter and mappings through Redis, as across machines."""
    return redis_store


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorControl, redis_url: str, store: Store
) -> dict[str, str]:
    """STRIPE_* and REDIS_URL for in-process CLI runs; also returned for subprocesses."""
    env = {"STRIPE_API_KEY": TEST_KEY, "STRIPE_API_BASE": emulator.url, "REDIS_URL": redis_url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def make_caller(
    store: Store, rate: float, policy: RetryPolicy = PATIENT, endpoint_rate: float | None = None
) -> ApiCaller:
    """A caller limited to `rate` globally and `endpoint_rate` (default: `rate`) per endpoint."""
    limits = shared_limits(store, "stripe-api:test", rate, endpoint_rate or rate)
    return ApiCaller(limits, policy)


def all_customers(client: stripe.StripeClient) -> list[dict[str, Any]]:
    """Every customer of the emulator's account, paging as a user would."""
    found: list[dict[str, Any]] = []
    params: Any = {"limit": 100}
    while True:
        page = client.v1.customers.list(params=params)
        found += [c.to_dict() for c in page.data]
        if not page.has_more:
            return found
        params = {"limit": 100, "starting_after": found[-1]["id"]}


def entity_ids(customers: list[dict[str, Any]]) -> list[str]:
    """The `metadata.entityId` of each customer, sorted (duplicates kept, to be counted)."""
    return sorted(str(c["metadata"].get("entityId")) for c in customers)
