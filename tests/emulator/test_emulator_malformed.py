"""Malformed requests get Stripe's JSON error envelope and a 4xx: never a 5xx, HTML or a
dropped connection (issue 12 item 6). Sent over raw http.client keep-alive connections,
since the SDK cannot send most of these."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import stripe

from tests.emulator.conftest import Target


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: Any
    headers: dict[str, str]


class Wire:
    """One keep-alive connection that reconnects after the server closes it."""

    def __init__(self, url: str, key: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 443
        self.tls = parts.scheme == "https"
        self.key = key
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            kind = http.client.HTTPSConnection if self.tls else http.client.HTTPConnection
            self.conn = kind(self.host, self.port, timeout=30)
        return self.conn

    def send(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Reply:
        """The answer; a connection closed without one raises (the test fails)."""
        conn = self._connection()
        conn.putrequest(method, path, skip_accept_encoding=True)
        sent = {"Authorization": f"Bearer {self.key}"} if auth else {}
        sent.update(headers or {})
        if "Content-Length" not in sent and (body or method == "POST"):
            sent["Content-Length"] = str(len(body))
        if body:
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        for name, value in sent.items():
            conn.putheader(name, value)
        conn.endheaders(body or None)
        response = conn.getresponse()
        raw = response.read()
        if response.will_close:
            conn.close()
            self.conn = None
        content_type = response.getheader("Content-Type", "")
        parsed = json.loads(raw) if raw and content_type.startswith("application/json") else raw
        return Reply(response.status, content_type, parsed, dict(response.getheaders()))

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


@pytest.fixture
def wire(target: Target) -> Any:
    connection = Wire(target.url, target.key)
    yield connection
    connection.close()


def assert_refused(reply: Reply, status: int) -> dict[str, Any]:
    assert (reply.status, reply.content_type) == (status, "application/json")
    assert set(reply.body) == {"error"}
    error: dict[str, Any] = reply.body["error"]
    assert error["type"] == "invalid_request_error"
    return error


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "+7"])
@pytest.mark.emulator_only
def test_bad_content_length_is_a_400(wire: Wire, length: str) -> None:
    reply = wire.send("POST", "/v1/products", b"name=x", {"Content-Length": length})
    error = assert_refused(reply, 400)
    assert error["message"] == f"Invalid Content-Length header: {length!r}."
    # The connection closed; the next request opens another and is served.
    assert wire.send("GET", "/v1/products?limit=1").status == 200


@pytest.mark.emulator_only
def test_oversized_body_is_a_413(wire: Wire) -> None:
    reply = wire.send("POST", "/v1/products", b"", {"Content-Length": str(10**12)})
    assert_refused(reply, 413)


@pytest.mark.parametrize("http_client", [stripe.UrllibClient, stripe.RequestsClient])
@pytest.mark.emulator_only
def test_a_five_megabyte_body_from_the_sdk_gets_the_413_not_a_reset(
    target: Target, http_client: type[stripe.HTTPClient]
) -> None:
    """The server answers before reading the body, then reads and discards what the
    client still sends (lingering close), so the SDK reads the 413 instead of a reset.
    (urllib gave up with "Broken pipe" when the server closed at once; requests
    happened to read the answer anyway.)"""
    client = stripe.StripeClient(
        target.key,
        base_addresses={"api": target.url},
        max_network_retries=0,
        http_client=http_client(),
    )
    description = "a" * (5 << 20)
    with pytest.raises(stripe.APIError) as caught:
        client.v1.products.create(params={"name": "Big", "description": description})
    length = len("name=Big&description=") + len(description)
    assert caught.value.http_status == 413
    assert caught.value.json_body == {
        "error": {
            "type": "invalid_request_error",
            "message": f"Request body of {length} bytes is over 1048576.",
        }
    }
    assert client.v1.products.list(params={"limit": 1}).data == []


def test_deeply_nested_key_is_a_400(wire: Wire) -> None:
    key = "metadata" + "[a]" * 10_000
    reply = wire.send("POST", "/v1/products", f"name=x&{key}=1".encode())
    assert reply.status == 400
    assert reply.body["error"]["param"] == "metadata"


@pytest.mark.parametrize(
    ("path", "form", "param"),
    [
        (
            "/v1/prices",
            "currency=usd&unit_amount=5&product_data[name]=p&recurring=month",
            "recurring",
        ),
        (
            "/v1/prices",
            "currency=usd&billing_scheme=tiered&tiers_mode=volume&tiers=x&product_data[name]=p",
            "tiers",
        ),
        ("/v1/subscriptions", "customer=cus_x&items=false", "items"),
        ("/v1/products?starting_after[]=prod_a&starting_after[]=prod_b", "", "starting_after"),
        ("/v1/customers", "invoice_settings=abc", "invoice_settings"),
        ("/v1/checkout/sessions", "mode=payment&line_items[0]=x", "line_items[0]"),
    ],
)
def test_scalars_where_a_hash_or_list_is_expected(
    wire: Wire, path: str, form: str, param: str
) -> None:
    method = "GET" if "?" in path else "POST"
    reply = wire.send(method, path, form.encode())
    error = assert_refused(reply, 400)
    assert error["param"] == param


def test_amount_stripe_refuses(wire: Wire) -> None:
    for value in ("1e30", "10000000000000000000000000000000", "12.5"):
        form = f"currency=usd&unit_amount={value}&product_data[name]=p"
        error = assert_refused(wire.send("POST", "/v1/prices", form.encode()), 400)
        assert error["param"] == "unit_amount"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "OPTIONS"])
def test_unrouted_methods_get_the_json_404(wire: Wire, method: str) -> None:
    error = assert_refused(wire.send(method, "/v1/products"), 404)
    assert error["message"].startswith(f"Unrecognized request URL ({method}: /v1/products)")


@pytest.mark.emulator_only
def test_unknown_methods_and_pages(wire: Wire) -> None:
    assert_refused(wire.send("BREW", "/v1/products"), 405)
    head = wire.send("HEAD", "/v1/products")  # an answer to HEAD has no body
    assert (head.status, head.content_type, head.body) == (405, "application/json", b"")
    error = assert_refused(wire.send("GET", "/no/such/page"), 404)
    assert error["message"] == "Unrecognized request URL (GET: /no/such/page)."


@pytest.mark.emulator_only
def test_over_long_url_and_headers(wire: Wire) -> None:
    assert_refused(wire.send("GET", "/v1/products?" + "a" * 70_000), 414)
    assert_refused(wire.send("GET", "/v1/products", headers={"X-Long": "b" * 70_000}), 431)
    many = {f"X-H{n}": "1" for n in range(120)}
    assert_refused(wire.send("GET", "/v1/products", headers=many), 431)
    assert wire.send("GET", "/v1/products?limit=1").status == 200


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"latency_ms": -1}, "latency_ms must be between 0 and 60000, not -1"),
        ({"error_rate": 1.5}, "error_rate must be between 0 and 1, not 1.5"),
        ({"error_rate": "often"}, 'error_rate must be a number, not "often"'),
        ({"rate_limit": True}, "rate_limit must be a number, not true"),
        ({"webhook_duplicate": "yes"}, 'webhook_duplicate must be true or false, not "yes"'),
        (
            {"error_point": "later"},
            'error_point must be one of before, during, after, drop, not "later"',
        ),
        ({"fail_requests": [5]}, "each fail_requests rule must be an object, not 5"),
        (
            {"fail_requests": [{"status": 200}]},
            "fail_requests status must be an integer from 400 to 599, not 200",
        ),
    ],
)
@pytest.mark.emulator_only
def test_fault_settings_out_of_range_are_refused(
    wire: Wire, settings: dict[str, Any], message: str
) -> None:
    reply = wire.send("POST", "/_emulator/faults", json.dumps(settings).encode(), auth=False)
    error = assert_refused(reply, 400)
    assert error["message"] == f"Invalid control request: {message}"
    assert wire.send("GET", "/_emulator/faults", auth=False).body["error_rate"] == 0


@pytest.mark.parametrize("seconds", [1e300, -5, "10", 2**70])
@pytest.mark.emulator_only
def test_clock_advance_out_of_range_is_refused(wire: Wire, seconds: Any) -> None:
    body = json.dumps({"seconds": seconds}).encode()
    reply = wire.send("POST", "/_emulator/clock/advance", body, auth=False)
    error = assert_refused(reply, 400)
    assert error["message"].startswith("Invalid control request: seconds must be an integer")


@pytest.mark.emulator_only
def test_deep_control_json_is_a_400(wire: Wire) -> None:
    body = ("[" * 100_000 + "]" * 100_000).encode()
    reply = wire.send("POST", "/_emulator/faults", body, auth=False)
    assert_refused(reply, 400)
