"""Fault injection and counters: rate limits, injected errors, latency, no state change."""

from __future__ import annotations

import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor

import pytest
import stripe

from reconciler.testing import EmulatorControl

pytestmark = pytest.mark.emulator_only


def test_rate_limit_answers_429_like_stripe(
    client: stripe.StripeClient, control: EmulatorControl
) -> None:
    control.faults(rate_limit=3)
    outcomes = []
    for _ in range(5):
        try:
            client.v1.products.list()
            outcomes.append("ok")
        except stripe.RateLimitError as error:
            outcomes.append("limited")
            assert error.http_status == 429
            assert error.error is not None
            assert (error.error.type, error.error.code) == ("invalid_request_error", "rate_limit")
    assert outcomes == ["ok", "ok", "ok", "limited", "limited"]
    counters = control.counters()
    assert counters["rate_limited"] == 2
    assert counters["total"] == 5
    time.sleep(1.05)
    client.v1.products.list()


def test_endpoint_rate_limit_counts_each_endpoint_apart(
    client: stripe.StripeClient, control: EmulatorControl
) -> None:
    # docs: rate-limits: each named operation is its own endpoint; requests to
    # GET /v1/products/{id} for different ids count against one limit.
    product = client.v1.products.create(params={"name": "Limited"})
    other = client.v1.products.create(params={"name": "Limited too"})
    control.faults(endpoint_rate_limit=2)
    client.v1.products.retrieve(product.id)
    client.v1.products.retrieve(other.id)
    with pytest.raises(stripe.RateLimitError):
        client.v1.products.retrieve(product.id)
    assert client.v1.products.list().data  # another endpoint, its own window
    assert control.counters()["rate_limited"] == 1


def test_error_rate_one_fails_everything_without_changing_state(
    client: stripe.StripeClient, control: EmulatorControl
) -> None:
    control.faults(error_rate=1.0)
    with pytest.raises(stripe.APIError) as caught:
        client.v1.products.create(params={"name": "Never"})
    assert caught.value.http_status == 500
    assert caught.value.error is not None and caught.value.error.type == "api_error"
    control.clear_faults()
    assert client.v1.products.list().data == []
    assert control.counters()["errors_injected"] == 1


def test_fail_requests_is_deterministic(
    client: stripe.StripeClient, control: EmulatorControl
) -> None:
    product = client.v1.products.create(params={"name": "Base"})
    control.faults(
        fail_requests=[
            {"method": "POST", "path_prefix": "/v1/prices", "after": 2, "count": 1, "status": 500}
        ]
    )
    results = []
    for amount in range(1, 5):
        try:
            client.v1.prices.create(
                params={"product": product.id, "currency": "usd", "unit_amount": amount}
            )
            results.append(amount)
        except stripe.APIError:
            results.append(-amount)
    assert results == [1, 2, -3, 4]
    client.v1.products.list()
    amounts = sorted(price.unit_amount or 0 for price in client.v1.prices.list().data)
    assert amounts == [1, 2, 4]


def test_fail_requests_other_status(client: stripe.StripeClient, control: EmulatorControl) -> None:
    control.faults(fail_requests=[{"path_prefix": "/v1/products", "count": 1, "status": 503}])
    with pytest.raises(stripe.APIError) as caught:
        client.v1.products.list()
    assert caught.value.http_status == 503
    client.v1.products.list()


def test_latency_is_added(client: stripe.StripeClient, control: EmulatorControl) -> None:
    control.faults(latency_ms=150)
    started = time.perf_counter()
    client.v1.products.list()
    assert time.perf_counter() - started >= 0.15
    control._call("DELETE", "faults")
    assert control._call("GET", "faults")["latency_ms"] == 0


def test_missing_keys_keep_their_values(control: EmulatorControl) -> None:
    control.faults(latency_ms=5, webhook_duplicate=True)
    control.faults(error_rate=0.25)
    settings = control._call("GET", "faults")
    assert (settings["latency_ms"], settings["webhook_duplicate"], settings["error_rate"]) == (
        5,
        True,
        0.25,
    )


def test_a_seed_makes_the_injected_errors_repeat(
    client: stripe.StripeClient, control: EmulatorControl
) -> None:
    def struck() -> list[bool]:
        control.faults(error_rate=0.5, seed=7)
        outcomes = []
        for _ in range(12):
            try:
                client.v1.products.list()
                outcomes.append(False)
            except stripe.APIError:
                outcomes.append(True)
        control.clear_faults()
        return outcomes

    first = struck()
    assert struck() == first
    # random.Random(7) draws 0.32, 0.15, 0.65, ...: an error exactly where a draw is below 0.5.
    assert first[:3] == [True, True, False]
    assert control._call("GET", "faults")["seed"] is None


def test_counters_collapse_ids_and_track_peaks(
    client: stripe.StripeClient, control: EmulatorControl
) -> None:
    product = client.v1.products.create(params={"name": "Counted"})
    client.v1.products.retrieve(product.id)
    client.v1.products.retrieve(product.id)
    control.now()
    counters = control.counters()
    assert counters["by_route"] == {"GET /v1/products/:id": 2, "POST /v1/products": 1}
    assert counters["total"] == 3
    assert counters["max_in_any_second"] >= 1
    control.reset_counters()
    assert control.counters() == {
        "total": 0,
        "by_route": {},
        "rate_limited": 0,
        "errors_injected": 0,
        "max_in_any_second": 0,
    }


def test_rate_limit_holds_under_concurrency(
    client: stripe.StripeClient, control: EmulatorControl
) -> None:
    control.faults(rate_limit=10)

    def call(_: int) -> bool:
        try:
            client.v1.products.list()
            return True
        except stripe.RateLimitError:
            return False

    with ThreadPoolExecutor(8) as pool:
        passed = sum(pool.map(call, range(40)))
    assert passed <= 10 * 2
    assert control.counters()["rate_limited"] == 40 - passed


def test_unknown_fault_settings_are_refused(control: EmulatorControl) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        control.faults(ratelimit=5)
    assert caught.value.code == 400
    assert "unknown fault settings: ratelimit" in caught.value.read().decode()
    assert control._call("GET", "faults")["rate_limit"] == 0
