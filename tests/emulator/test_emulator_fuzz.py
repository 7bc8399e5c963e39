"""10,000 seeded random malformed requests: no 5xx and no dropped connection (issue 12.6).

Requests are built from each route's own parameter spec and then broken: scalars where
hashes go and back, lists for cursors, unknown and over-deep keys, huge and negative
numbers, bad percent-escapes, wrong methods, bad headers. The seed is fixed, so a failure
names a request that can be replayed.
"""

from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import quote

import pytest

from reconciler.emulator.forms import LEAVES, SCALAR, Spec
from reconciler.emulator.routes import ROUTER
from tests.emulator.conftest import Target
from tests.emulator.test_emulator_malformed import Wire

pytestmark = pytest.mark.emulator_only

REQUESTS = 10_000
SEED = 20261126
_VALUES = [
    "",
    "x",
    "0",
    "-1",
    "1",
    "true",
    "false",
    "inf",
    "1e30",
    "9" * 40,
    "-9223372036854775809",
    "3.5",
    "usd",
    "month",
    "tiered",
    "volume",
    "per_unit",
    "subscription",
    "payment",
    "%ZZ",
    "\u00e9\u6f22",
    "prod_missing",
    "price_missing",
    "cus_missing",
    "a" * 300,
]


def _leaf(rng: random.Random) -> str:
    return rng.choice(_VALUES)


def _form(rng: random.Random, spec: Spec, prefix: str, depth: int) -> list[tuple[str, str]]:
    """Pairs for a form built from `spec`, with one in three entries broken."""
    pairs: list[tuple[str, str]] = []
    names = [*spec, "unknown_param"]
    for name in rng.sample(names, k=min(len(names), rng.randint(0, 5))):
        key = f"{prefix}[{name}]" if prefix else name
        rule = spec.get(name, SCALAR)
        broken = rng.random() < 0.33
        if rule in LEAVES or depth > 3:
            if broken:
                shape = rng.choice(["[]", "[x]", "[0][y]", "[" * 3])
                pairs.append((key + shape, _leaf(rng)))
            else:
                pairs.append((key, _leaf(rng)))
        elif isinstance(rule, list):
            if broken:
                pairs.append((rng.choice([key, f"{key}[x]", f"{key}[0]"]), _leaf(rng)))
            else:
                for index in range(rng.randint(1, 3)):
                    pairs += _form(rng, rule[0], f"{key}[{index}]", depth + 1)
        elif broken:
            pairs.append((rng.choice([key, f"{key}[]"]), _leaf(rng)))
        else:
            pairs += _form(rng, rule, key, depth + 1)
    if rng.random() < 0.05:
        pairs.append(("metadata" + "[k]" * rng.randint(30, 200), "deep"))
    if rng.random() < 0.05:
        pairs.append(("expand[]", rng.choice(["data.product", "x.y.z.w.v", "customer", ""])))
    return pairs


def _encode(rng: random.Random, pairs: list[tuple[str, str]]) -> str:
    text = "&".join(f"{quote(k, safe='[]')}={quote(v)}" for k, v in pairs)
    if rng.random() < 0.05:
        text += rng.choice(["&%", "&=&&", "&a[=1", "&%E9%ZZ=1", "&[]=1"])
    return text


def _request(rng: random.Random, ids: list[str]) -> tuple[str, str, bytes, dict[str, str]]:
    route = rng.choice(ROUTER.routes)
    path = route.label.replace(":id", rng.choice(ids))
    method = route.method if rng.random() < 0.9 else rng.choice(["GET", "POST", "DELETE", "PUT"])
    form = _encode(rng, _form(rng, route.params, "", 0))
    headers: dict[str, str] = {}
    roll = rng.random()
    if roll < 0.03:
        headers["Content-Length"] = rng.choice(["abc", "-5", "99999999999"])
    elif roll < 0.06:
        headers["Idempotency-Key"] = "k" * rng.choice([1, 255, 256, 4000])
    elif roll < 0.08:
        headers["Stripe-Version"] = rng.choice(["", "garbage", "x" * 500])
    if method == "POST":
        return method, path, form.encode(), headers
    return method, f"{path}?{form}" if form else path, b"", headers


def _control(rng: random.Random) -> tuple[str, bytes]:
    """A control request with settings that are all invalid (valid ones would inject 500s)."""
    bad: list[Any] = [-1, 1e300, "x", None, [], {}, True, 2**70]
    choice = rng.randrange(3)
    if choice == 0:
        name = rng.choice(["latency_ms", "error_rate", "rate_limit", "webhook_drop_rate"])
        return "/_emulator/faults", json.dumps({name: rng.choice(bad)}).encode()
    if choice == 1:
        return "/_emulator/clock/advance", json.dumps({"seconds": rng.choice(bad)}).encode()
    return "/_emulator/faults", rng.choice([b"{", b"[1]", b"\xff\xfe", b"null"])


def test_ten_thousand_malformed_requests(target: Target) -> None:
    rng = random.Random(SEED)
    wire = Wire(target.url, target.key)
    product = wire.send("POST", "/v1/products", b"name=Fuzzed").body["id"]
    customer = wire.send("POST", "/v1/customers", b"email=f%40example.com").body["id"]
    ids = [product, customer, "prod_missing", "x" * 300, "%2e%2e", "cus_%C3%A9"]
    statuses: dict[int, int] = {}
    try:
        for number in range(REQUESTS):
            if rng.random() < 0.03:
                path, body = _control(rng)
                reply = wire.send("POST", path, body, auth=False)
                assert reply.status == 400, (number, path, body, reply)
                continue
            method, path, body, headers = _request(rng, ids)
            try:
                reply = wire.send(method, path, body, headers, auth=rng.random() > 0.02)
            except (ConnectionError, OSError) as exc:
                pytest.fail(
                    f"request {number} dropped: {method} {path[:200]} {body[:200]!r}: {exc}"
                )
            assert reply.status < 500, (number, method, path[:300], body[:300], reply)
            assert reply.content_type == "application/json", (number, method, path[:300])
            assert reply.status < 400 or "error" in reply.body, (number, reply)
            statuses[reply.status] = statuses.get(reply.status, 0) + 1
    finally:
        wire.close()
    # The mix reached handlers, not only the wire checks.
    assert statuses.get(200, 0) > 100 and statuses.get(400, 0) > 1000, statuses
