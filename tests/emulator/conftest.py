"""Target selection for the emulator contract suite.

By default the suite runs against a private emulator, reset before each test.
With STRIPE_TEST_API_KEY=sk_test_... it runs against real Stripe instead, and
tests marked `emulator_only` (they need `/_emulator/` controls) are skipped.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import stripe

from reconciler.testing import EmulatorControl

REAL_STRIPE = "https://api.stripe.com"


@dataclass(frozen=True)
class Target:
    """Where the suite sends requests, and the controls when it is the emulator."""

    url: str
    key: str
    control: EmulatorControl | None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "emulator_only: needs /_emulator/ controls")


def _real_key() -> str | None:
    key = os.environ.get("STRIPE_TEST_API_KEY")
    if not key:
        return None
    if not key.startswith("sk_test_"):
        pytest.exit("STRIPE_TEST_API_KEY must be a test-mode key (sk_test_...)", returncode=1)
    return key


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    key = _real_key()
    if key is not None:
        yield Target(REAL_STRIPE, key, None)
        return
    from reconciler.emulator import run_in_thread

    with run_in_thread() as running:
        yield Target(running.url, "sk_test_emulator_suite", EmulatorControl(running.url))


@pytest.fixture(autouse=True)
def _fresh_account(request: pytest.FixtureRequest, target: Target) -> None:
    if target.control is None:
        if request.node.get_closest_marker("emulator_only"):
            pytest.skip("needs the emulator's /_emulator/ controls")
        return
    target.control.reset()


@pytest.fixture
def control(target: Target) -> EmulatorControl:
    if target.control is None:
        pytest.skip("needs the emulator's /_emulator/ controls")
    return target.control


@pytest.fixture
def client(target: Target) -> stripe.StripeClient:
    url = target.url
    return stripe.StripeClient(
        target.key,
        base_addresses={"api": url, "files": url, "connect": url},
        max_network_retries=0,
    )


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


class RawHttp:
    """Plain HTTP to the target, for headers and bodies the SDK hides."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def __call__(
        self,
        method: str,
        path: str,
        form: str = "",
        headers: dict[str, str] | None = None,
        key: str | None = None,
    ) -> RawAnswer:
        sent = {"Authorization": f"Bearer {key if key is not None else self.target.key}"}
        sent.update(headers or {})
        data = form.encode() if method == "POST" else None
        if method != "POST" and form:
            path = f"{path}?{form}"
        request = urllib.request.Request(
            self.target.url + path, data=data, method=method, headers=sent
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return RawAnswer(response.status, dict(response.headers), json.load(response))
        except urllib.error.HTTPError as error:
            return RawAnswer(error.code, dict(error.headers), json.load(error))


@pytest.fixture
def raw(target: Target) -> RawHttp:
    return RawHttp(target)
