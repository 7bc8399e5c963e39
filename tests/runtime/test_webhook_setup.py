"""`reconciler webhooks check`: the rules (pure) and the command against the emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from reconciler.cli import main
from reconciler.runtime.webhook_setup import (
    CATALOG_EVENTS,
    RECOMMENDED_EVENTS,
    REQUIRED_EVENTS,
    EndpointCheck,
    check_endpoints,
)
from reconciler.runtime.webhooks import SYNC_EVENTS
from reconciler.testing import EmulatorControl
from tests.runtime.conftest import TEST_KEY

URL = "https://app.example.com/stripe/webhook"


def endpoint(id: str, events: list[str], url: str = URL, status: str = "enabled") -> Any:
    return {"id": id, "url": url, "enabled_events": events, "status": status}


def test_the_three_subscription_events_are_required_and_the_rest_recommended() -> None:
    assert REQUIRED_EVENTS == (
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    )
    assert set(RECOMMENDED_EVENTS) == (SYNC_EVENTS | set(CATALOG_EVENTS)) - set(REQUIRED_EVENTS)
    assert len(RECOMMENDED_EVENTS) == 21


def test_an_endpoint_serves_the_runtime_when_enabled_with_every_required_event() -> None:
    every = check_endpoints([endpoint("we_all", ["*"])], URL + "/")
    assert every.ok and every.problem() is None
    assert every.endpoints == (EndpointCheck("we_all", URL, "enabled", (), ()),)
    exact = check_endpoints([endpoint("we_min", list(REQUIRED_EVENTS))])
    assert exact.ok
    assert exact.endpoints[0].not_sent == RECOMMENDED_EVENTS


def test_what_keeps_an_endpoint_from_serving_the_runtime() -> None:
    endpoints = [
        endpoint("we_off", ["*"], status="disabled"),
        endpoint("we_some", ["customer.subscription.created", "invoice.paid"]),
        endpoint("we_other", ["*"], url="https://elsewhere.example.com/hook"),
    ]
    result = check_endpoints(endpoints, URL)
    assert [(e.id, e.serves) for e in result.endpoints] == [("we_off", False), ("we_some", False)]
    assert result.endpoints[1].missing == REQUIRED_EVENTS[1:]
    assert result.problem() == (
        f"no enabled webhook endpoint at {URL} sends customer.subscription.created, "
        "customer.subscription.updated, customer.subscription.deleted: a subscription changed "
        "in Stripe would stay stale in the cache until `sync`"
    )
    nothing = check_endpoints([], URL)
    assert nothing.problem() == (
        f"no webhook endpoint at {URL}: the cached subscriptions would never change"
    )
    # Without a URL every endpoint counts: the one elsewhere serves.
    assert check_endpoints(endpoints).ok


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorControl) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", TEST_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", emulator.url)


def test_the_command_reads_the_endpoints_and_says_what_is_missing(
    env: None, stripe_client: stripe.StripeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    for existing in stripe_client.v1.webhook_endpoints.list().data:
        stripe_client.v1.webhook_endpoints.delete(existing.id)
    partial = stripe_client.v1.webhook_endpoints.create(
        params={"url": URL, "enabled_events": ["customer.subscription.created"]}
    )
    code = main(["webhooks", "check", "--url", URL])
    out, err = capsys.readouterr()
    assert code == 1
    recommended = ", ".join(RECOMMENDED_EVENTS)
    assert out.splitlines() == [
        f"{partial.id} {URL} (enabled): misses required events",
        "  missing: customer.subscription.updated, customer.subscription.deleted",
        f"  recommended, not sent: 21 of 21 ({recommended})",
    ]
    assert err.splitlines()[-1].startswith(f"error: no enabled webhook endpoint at {URL} sends ")

    stripe_client.v1.webhook_endpoints.update(partial.id, params={"enabled_events": ["*"]})
    code = main(["webhooks", "check", "--url", URL + "/"])
    assert (code, capsys.readouterr().out) == (
        0,
        f"{partial.id} {URL} (enabled): serves the runtime\n",
    )
    code = main(["webhooks", "check", "--url", URL, "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == 0
    answer = json.loads(out)
    assert (answer["ok"], answer["problem"]) == (True, None)
    assert answer["endpoints"] == [
        {
            "id": partial.id,
            "url": URL,
            "status": "enabled",
            "serves": True,
            "missing_required": [],
            "missing_recommended": [],
        }
    ]

    stripe_client.v1.webhook_endpoints.update(partial.id, params={"disabled": True})
    code = main(["webhooks", "check"])
    out, _ = capsys.readouterr()
    assert (code, out) == (1, f"{partial.id} {URL} (disabled): delivers nothing\n")


def test_every_event_named_is_one_the_pinned_sdk_lets_an_endpoint_enable() -> None:
    from typing import get_args

    from stripe.params import WebhookEndpointCreateParams

    def literals(hint: Any) -> set[str]:
        found = {a for a in get_args(hint) if isinstance(a, str)}
        for inner in get_args(hint):
            found |= literals(inner)
        return found

    # The one annotation: resolving the whole TypedDict needs names the SDK imports only for
    # type checkers.
    allowed = literals(WebhookEndpointCreateParams.__annotations__["enabled_events"])
    assert "customer.subscription.updated" in allowed
    assert sorted(set(REQUIRED_EVENTS + RECOMMENDED_EVENTS) - allowed) == []
