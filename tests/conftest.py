"""Fixtures shared by the whole suite: a real redis-server and the Stripe emulator over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from reconciler.testing import EmulatorControl, redis_server, refuse_live_keys

TEST_KEY = "sk_test_reconciler_suite"


def pytest_configure(config: pytest.Config) -> None:
    name = refuse_live_keys()
    if name:
        pytest.exit(f"refusing to run tests: {name} holds a live Stripe key", returncode=1)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A private redis-server for the session (started here, stopped at the end)."""
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    from reconciler.emulator import run_in_thread

    with run_in_thread() as running:
        yield running.url


@pytest.fixture
def emulator(emulator_url: str) -> EmulatorControl:
    """The emulator, reset to an empty account for this test."""
    control = EmulatorControl(emulator_url)
    control.reset()
    return control


@pytest.fixture
def stripe_client(emulator: EmulatorControl) -> stripe.StripeClient:
    """The official SDK pointed at a freshly reset emulator, with no automatic retries."""
    url = emulator.url
    return stripe.StripeClient(
        TEST_KEY,
        base_addresses={"api": url, "files": url, "connect": url, "meter_events": url},
        max_network_retries=0,
    )
