"""Where a fault strikes decides what an Idempotency-Key saves.

Docs (api/idempotent_requests): "Stripe saves the status code and body of the first request
made with a given idempotency key after endpoint execution begins. Retries with the same key
return the saved response, including 500 errors." Requests that fail before execution (rate
limits, authentication, parameter validation) are not saved. Keys are up to 255 characters.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from reconciler.testing import EmulatorControl
from tests.emulator.test_emulator_malformed import Wire

FORM = b"email=idem%40example.com"


def _fail_next_customer_create(control: EmulatorControl, point: str) -> None:
    rule = {"method": "POST", "path_prefix": "/v1/customers", "count": 1, "point": point}
    control.faults(fail_requests=[rule])


def _customers(wire: Wire) -> list[str]:
    return [c["id"] for c in wire.send("GET", "/v1/customers?limit=100").body["data"]]


@pytest.fixture
def wire(target: Any) -> Any:
    connection = Wire(target.url, target.key)
    yield connection
    connection.close()


@pytest.mark.emulator_only
def test_before_execution_nothing_is_saved(wire: Wire, control: EmulatorControl) -> None:
    _fail_next_customer_create(control, "before")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    failed = wire.send("POST", "/v1/customers", FORM, key)
    assert failed.status == 500
    assert _customers(wire) == []
    retried = wire.send("POST", "/v1/customers", FORM, key)
    assert retried.status == 200
    assert _customers(wire) == [retried.body["id"]]


@pytest.mark.emulator_only
def test_during_execution_the_500_is_saved_and_nothing_written(
    wire: Wire, control: EmulatorControl
) -> None:
    _fail_next_customer_create(control, "during")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    failed = wire.send("POST", "/v1/customers", FORM, key)
    assert (failed.status, failed.body["error"]["type"]) == (500, "api_error")
    assert failed.headers["Stripe-Should-Retry"] == "false"
    replayed = wire.send("POST", "/v1/customers", FORM, key)
    assert (replayed.status, replayed.body) == (500, failed.body)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.headers["Stripe-Should-Retry"] == "false"
    assert _customers(wire) == []
    fresh = wire.send("POST", "/v1/customers", FORM, {"Idempotency-Key": str(uuid.uuid4())})
    assert fresh.status == 200
    assert _customers(wire) == [fresh.body["id"]]


@pytest.mark.emulator_only
def test_after_execution_the_write_stands_and_the_500_is_replayed(
    wire: Wire, control: EmulatorControl
) -> None:
    _fail_next_customer_create(control, "after")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    failed = wire.send("POST", "/v1/customers", FORM, key)
    assert failed.status == 500
    assert failed.headers["Stripe-Should-Retry"] == "false"
    written = _customers(wire)
    assert len(written) == 1
    replayed = wire.send("POST", "/v1/customers", FORM, key)
    assert (replayed.status, replayed.headers["Idempotent-Replayed"]) == (500, "true")
    assert _customers(wire) == written


@pytest.mark.emulator_only
def test_dropped_after_the_write_then_the_retry_gets_the_saved_answer(
    wire: Wire, control: EmulatorControl
) -> None:
    _fail_next_customer_create(control, "drop")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    with pytest.raises(ConnectionError):
        wire.send("POST", "/v1/customers", FORM, key)
    wire.close()
    wire.conn = None
    written = _customers(wire)
    assert len(written) == 1
    retried = wire.send("POST", "/v1/customers", FORM, key)
    assert (retried.status, retried.body["id"]) == (200, written[0])
    assert retried.headers["Idempotent-Replayed"] == "true"


def test_keys_over_255_characters_are_refused(wire: Wire) -> None:
    longest = wire.send("POST", "/v1/customers", FORM, {"Idempotency-Key": "k" * 255})
    assert longest.status == 200
    refused = wire.send("POST", "/v1/customers", FORM, {"Idempotency-Key": "k" * 256})
    assert refused.status == 400
    assert refused.body["error"]["type"] in ("idempotency_error", "invalid_request_error")
    assert _customers(wire) == [longest.body["id"]]
