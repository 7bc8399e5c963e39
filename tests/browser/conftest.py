"""Headless Chromium driven through WebDriver (selenium and Debian's chromedriver), and an
application running `reconciler serve` that receives the emulator's webhooks.

selenium is the Selenium project's own WebDriver client: it drives the system's Chromium
through the system's chromedriver and downloads nothing when both paths are given, which this
machine needs (no browser build can be fetched; Playwright would fetch its own).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import stripe
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from reconciler.model import Plans
from reconciler.runtime.billing import Billing
from reconciler.runtime.store import Store
from reconciler.testing import EmulatorControl, free_port
from tests.conftest import TEST_KEY
from tests.runtime.conftest import PLANS_DIR, make_billing, plans, price_ids

__all__ = ["plans", "price_ids"]

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """One headless Chromium for the whole session, with a new empty profile."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip("chromium and chromium-driver are not installed (scripts/test installs them)")
    profile = tempfile.mkdtemp(prefix="reconciler-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    session = webdriver.Chrome(options=options, service=Service(driver))
    try:
        yield session
    finally:
        session.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shows(browser: WebDriver, css: str, text: str) -> None:
    """Wait until the element at `css` reads `text` on a completely loaded page: after a click
    the browser may still hold the previous page, whose elements go stale when the next one
    loads (or, read as the document is replaced, fail with Chromium's "Node with given id does
    not belong to the document", a plain WebDriverException: seen once in a full run)."""
    ignored = (NoSuchElementException, StaleElementReferenceException, WebDriverException)
    WebDriverWait(browser, 10, ignored_exceptions=ignored).until(
        lambda b: b.find_element(By.CSS_SELECTOR, css).text == text
        and b.execute_script("return document.readyState") == "complete"
    )


def type_into(browser: WebDriver, css: str, text: str) -> None:
    """Type `text` into the field at `css`, again until the field holds it: Chromium reports a
    field of a document being replaced as "Node with given id does not belong to the
    document" (a plain WebDriverException), seen once after a page's form was answered."""

    def typed(b: WebDriver) -> bool:
        field = b.find_element(By.CSS_SELECTOR, css)
        field.clear()
        field.send_keys(text)
        return field.get_attribute("value") == text

    WebDriverWait(browser, 10, ignored_exceptions=(WebDriverException,)).until(typed)


@dataclass
class ServedApp:
    """`reconciler serve` in its own process, and a Billing of the test on the same store."""

    url: str
    billing: Billing

    def subscription(self, user: str, ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The user's cached subscription once `ready` holds for it (or as it is after 15 s):
        `reconciler serve` answers a webhook at once and re-reads Stripe from its queue."""
        deadline = time.monotonic() + 15
        cached = self.billing.get_subscription(user)
        while not ready(cached) and time.monotonic() < deadline:
            time.sleep(0.05)
            cached = self.billing.get_subscription(user)
        return cached


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"reconciler serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("reconciler serve did not answer /healthz")


@pytest.fixture
def serve(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    plans: Plans,
    price_ids: dict[str, str],
    redis_url: str,
    redis_store: Store,
) -> Iterator[ServedApp]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    endpoint = stripe_client.v1.webhook_endpoints.create(
        params={"url": f"{url}/stripe/webhook", "enabled_events": ["*"]}
    )
    env = {
        **os.environ,
        "STRIPE_API_KEY": TEST_KEY,
        "STRIPE_API_BASE": emulator.url,
        "STRIPE_WEBHOOK_SECRET": str(endpoint.secret),
        "REDIS_URL": redis_url,
    }
    command = [sys.executable, "-m", "reconciler", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--plans", str(PLANS_DIR)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_healthy(url, process)
        yield ServedApp(url, make_billing(emulator, plans, redis_store))
    finally:
        process.terminate()
        process.wait(timeout=10)
