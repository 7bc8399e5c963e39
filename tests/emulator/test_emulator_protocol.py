"""The wire: auth, Request-Id, idempotency keys, errors, raw JSON shapes, keep-alive."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
import stripe

from reconciler.testing import EmulatorControl


def test_live_and_unknown_keys_are_refused_without_echo(raw: Any) -> None:
    answer = raw("GET", "/v1/products", key="sk_live_abcdefghijklmnop1234")
    assert answer.status == 401
    error = answer.body["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("Invalid API Key provided: sk_live_")
    assert error["message"].endswith("1234")
    assert "abcdefghijklmnop" not in error["message"]
    assert raw("GET", "/v1/products", key="").status == 401


def test_restricted_test_keys_are_accepted(target: Any) -> None:
    if target.control is None:
        pytest.skip("real Stripe needs a real restricted key")
    client = stripe.StripeClient(
        "rk_test_anything", base_addresses={"api": target.url}, max_network_retries=0
    )
    assert client.v1.products.list()["object"] == "list"


def test_sdk_authentication_error(target: Any) -> None:
    client = stripe.StripeClient(
        "sk_live_nope_nope_1234", base_addresses={"api": target.url}, max_network_retries=0
    )
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.products.list()
    assert caught.value.http_status == 401


def test_every_answer_has_a_request_id(raw: Any) -> None:
    ok = raw("GET", "/v1/products", "limit=1")
    missing = raw("GET", "/v1/products/prod_missing")
    assert ok.headers["Request-Id"].startswith("req_")
    assert missing.headers["Request-Id"].startswith("req_")
    assert ok.headers["Request-Id"] != missing.headers["Request-Id"]
    assert missing.body["error"] == {
        **missing.body["error"],
        "type": "invalid_request_error",
        "code": "resource_missing",
        "param": "id",
        "message": "No such product: 'prod_missing'",
    }


def test_wire_types_booleans_ints_and_decimal_strings(raw: Any) -> None:
    product = raw("POST", "/v1/products", "name=Wire&active=false&metadata[k]=v").body
    assert product["active"] is False and product["metadata"] == {"k": "v"}
    price = raw(
        "POST",
        "/v1/prices",
        f"product={product['id']}&currency=usd&unit_amount=250"
        "&recurring[interval]=month&recurring[interval_count]=2",
    ).body
    assert price["unit_amount"] == 250 and price["unit_amount_decimal"] == "250"
    assert price["recurring"]["interval_count"] == 2
    listed = raw("GET", "/v1/prices", f"product={product['id']}&expand[]=data.product").body
    assert listed["data"][0]["product"]["id"] == product["id"]
    assert set(listed) == {"object", "data", "has_more", "url"}


def test_unknown_route_is_404(raw: Any) -> None:
    answer = raw("GET", "/v1/not_a_thing")
    assert answer.status == 404
    assert answer.body["error"]["message"].startswith("Unrecognized request URL (GET: /v1/")


def test_idempotent_replay_and_mismatch(raw: Any) -> None:
    key = f"k-1-{uuid.uuid4().hex}"
    first = raw("POST", "/v1/customers", "email=a%40example.com", {"Idempotency-Key": key})
    again = raw("POST", "/v1/customers", "email=a%40example.com", {"Idempotency-Key": key})
    assert again.status == first.status == 200
    assert again.body == first.body
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    different = raw("POST", "/v1/customers", "email=b%40example.com", {"Idempotency-Key": key})
    assert different.status == 400
    assert different.body["error"]["type"] == "idempotency_error"
    assert different.body["error"]["message"].startswith(
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with."
    )


def test_sdk_idempotency_error_class(client: stripe.StripeClient) -> None:
    key = f"sdk-{uuid.uuid4().hex}"
    client.v1.products.create(params={"name": "A"}, options={"idempotency_key": key})
    same = client.v1.products.create(params={"name": "A"}, options={"idempotency_key": key})
    assert same.name == "A"
    with pytest.raises(stripe.IdempotencyError):
        client.v1.products.create(params={"name": "B"}, options={"idempotency_key": key})


@pytest.mark.emulator_only
def test_validation_errors_are_not_stored(raw: Any, control: EmulatorControl) -> None:
    bad = raw("POST", "/v1/products", "foo=1&name=X", {"Idempotency-Key": "k-2"})
    assert bad.status == 400
    good = raw("POST", "/v1/products", "foo=1&name=X", {"Idempotency-Key": "k-2"})
    assert good.status == 400 and "Idempotent-Replayed" not in good.headers
    control.faults(fail_requests=[{"path_prefix": "/v1/products", "count": 1, "status": 500}])
    failed = raw("POST", "/v1/products", "name=Y", {"Idempotency-Key": "k-3"})
    assert failed.status == 500
    retried = raw("POST", "/v1/products", "name=Y", {"Idempotency-Key": "k-3"})
    assert retried.status == 200 and "Idempotent-Replayed" not in retried.headers


@pytest.mark.emulator_only
def test_concurrent_use_of_a_key_is_409(raw: Any, control: EmulatorControl) -> None:
    # Both requests stay in flight for a second once they claim the key (latency counts as
    # processing time), so whichever claims it first answers 200 and the other 409 at once.
    control.faults(latency_ms=1000)
    control.reset_counters()
    answers: list[int] = []

    def post() -> None:
        answers.append(raw("POST", "/v1/products", "name=Slow", {"Idempotency-Key": "k-4"}).status)

    first = threading.Thread(target=post)
    first.start()
    # Wait for the state, not for time: the first request has reached the emulator.
    arrived = threading.Event()
    while control.counters()["by_route"].get("POST /v1/products", 0) < 1:
        arrived.wait(0.005)
    post()
    first.join()
    control.faults(latency_ms=0)
    assert sorted(answers) == [200, 409]


@pytest.mark.emulator_only
def test_keys_expire_after_a_day(raw: Any, control: EmulatorControl) -> None:
    raw("POST", "/v1/products", "name=Day", {"Idempotency-Key": "k-5"})
    control.advance(24 * 3600 + 1)
    fresh = raw("POST", "/v1/products", "name=Other", {"Idempotency-Key": "k-5"})
    assert fresh.status == 200 and fresh.body["name"] == "Other"


@pytest.mark.emulator_only
def test_keep_alive_serves_many_requests_on_one_connection(target: Any) -> None:
    parts = urlsplit(target.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    headers = {"Authorization": f"Bearer {target.key}"}
    for _ in range(20):
        connection.request("GET", "/v1/products?limit=1", headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["object"] == "list"
    connection.close()


@pytest.mark.emulator_only
def test_reset_wipes_everything(client: stripe.StripeClient, control: EmulatorControl) -> None:
    client.v1.products.create(params={"name": "Gone"})
    client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/", "enabled_events": ["*"]}
    )
    control.faults(latency_ms=1)
    control.advance(100)
    control.reset()
    assert client.v1.products.list().data == []
    assert client.v1.events.list().data == []
    assert client.v1.webhook_endpoints.list().data == []
    assert control._call("GET", "faults")["latency_ms"] == 0
    assert control.counters()["total"] == 3
