"""The recipes in examples/ (Flask, FastAPI, Django), each served over HTTP and driven the way a
browser and Stripe drive them: the user's requests, a Checkout completed in the emulator, and
the emulator's signed webhook deliveries to the recipe's own webhook view."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import pytest
import stripe

from reconciler.emulator.webhooks import sign
from reconciler.model import Plans
from reconciler.runtime.billing import Billing
from reconciler.runtime.store import Store
from reconciler.testing import EmulatorControl
from tests.conftest import TEST_KEY
from tests.runtime.conftest import PLANS_DIR

MISSING_EXTRA = "is not installed: the examples extra installs it (pip install -e '.[examples]')"
UPGRADE = "your plan does not include premium reports"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: Any


@dataclass
class Browser:
    """A signed-in user's HTTP client: keeps cookies and, once it has Django's `csrftoken`
    cookie, sends it back in `X-CSRFToken` as a page's script does; follows no redirect."""

    port: int
    user: str
    cookies: SimpleCookie = field(default_factory=SimpleCookie)

    def __call__(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        csrf: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = {"X-User-Id": self.user, **(headers or {})}
        if csrf and "csrftoken" in self.cookies:
            sent["X-CSRFToken"] = self.cookies["csrftoken"].value
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            sent_body = body if method == "POST" else None
            connection.request(method, path, body=sent_body, headers=sent)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(cookie)
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        return Answer(response.status, response.headers, json.loads(raw) if is_json else raw)


class Site:
    """An HTTP server on a free port, started before its app exists (the webhook endpoint
    registered with Stripe needs the port; the app needs that endpoint's secret)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.webhook_url = f"http://127.0.0.1:{self.port}/stripe/webhook"
        self._stop: Callable[[], None] = self.sock.close

    def serve_wsgi(self, app: Any) -> None:
        from waitress.server import create_server

        # poll(), as `reconciler serve` uses: closing the server under a running select()
        # loop makes select() raise EBADF in the server's thread.
        server = create_server(app, sockets=[self.sock], threads=4, asyncore_use_poll=True)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()

        def stop() -> None:
            server.close()
            server.task_dispatcher.shutdown()
            thread.join(timeout=10)

        self._stop = stop

    def serve_asgi(self, app: Any) -> None:
        import uvicorn

        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[self.sock])), daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started, "uvicorn did not start"

        def stop() -> None:
            server.should_exit = True
            thread.join(timeout=10)
            self.sock.close()

        self._stop = stop

    def stop(self) -> None:
        self._stop()


def _flask(site: Site, billing: Billing) -> None:
    pytest.importorskip("flask", reason=f"flask {MISSING_EXTRA}")
    from examples.flask_app import create_app

    site.serve_wsgi(create_app(billing))


def _fastapi(site: Site, billing: Billing) -> None:
    pytest.importorskip("fastapi", reason=f"fastapi {MISSING_EXTRA}")
    pytest.importorskip("uvicorn", reason=f"uvicorn {MISSING_EXTRA}")
    from examples.fastapi_app import create_app

    site.serve_asgi(create_app(billing))


def _django(site: Site, billing: Billing) -> None:
    pytest.importorskip("django", reason=f"django {MISSING_EXTRA}")
    import django
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_billing.settings")
        django.setup()
    from django.core.wsgi import get_wsgi_application

    from examples.django_billing import views

    # The recipe makes its Billing from the environment: replace the cached one by this
    # test's, which reads that same environment (set by the `recipe` fixture).
    views.get_billing.cache_clear()
    settings.RECONCILER_PLANS = str(PLANS_DIR)
    assert views.get_billing().settings == billing.settings
    site.serve_wsgi(get_wsgi_application())


RECIPES: dict[str, Callable[[Site, Billing], None]] = {
    "flask": _flask,
    "fastapi": _fastapi,
    "django": _django,
}
# What each framework answers for the gated view, as the recipe writes it.
UPGRADE_BODIES = {
    "flask": {"error": UPGRADE},
    "fastapi": {"detail": UPGRADE},
    "django": {"error": UPGRADE},
}


@dataclass
class Recipe:
    name: str
    site: Site
    billing: Billing


@pytest.fixture(params=sorted(RECIPES))
def recipe(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    price_ids: dict[str, str],
    redis_url: str,
    redis_store: Store,
) -> Iterator[Recipe]:
    site = Site()
    endpoint = stripe_client.v1.webhook_endpoints.create(
        params={"url": site.webhook_url, "enabled_events": ["*"]}
    )
    environ = {
        "STRIPE_API_KEY": TEST_KEY,
        "STRIPE_API_BASE": emulator.url,
        "STRIPE_WEBHOOK_SECRET": str(endpoint.secret),
        "REDIS_URL": redis_url,
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    billing = Billing.from_env(PLANS_DIR, environ)
    try:
        RECIPES[request.param](site, billing)
        yield Recipe(request.param, site, billing)
    finally:
        site.stop()
        billing.close()


def test_a_user_subscribes_through_the_recipe_and_the_gated_view_opens(
    recipe: Recipe, emulator: EmulatorControl, stripe_client: stripe.StripeClient, plans: Plans
) -> None:
    user = Browser(recipe.site.port, "user_7")
    before = user("GET", "/me/entitlements")
    assert (before.status, before.body["status"], before.body["plan"]) == (200, "none", "free")

    refused = user("POST", "/reports")
    assert (refused.status, refused.body) == (402, UPGRADE_BODIES[recipe.name])

    checkout = user("POST", "/billing/checkout/standard_monthly")
    assert checkout.status == 303, checkout.body
    location = checkout.headers["Location"]
    assert location.startswith(f"{emulator.url}/checkout/cs_test_")
    session_id = location.rpartition("/")[2]
    session = stripe_client.v1.checkout.sessions.retrieve(session_id)
    assert session.customer == recipe.billing.store.get_customer("user_7")

    emulator.complete_checkout(session_id)  # the customer pays (tests/browser clicks it)
    assert emulator.flush_webhooks() == 0  # every signed delivery answered 2xx

    after = user("GET", "/me/entitlements")
    assert (after.status, after.body["status"], after.body["plan"]) == (200, "trialing", "standard")
    assert after.body["limits"]["premium-credits"] == 50

    granted = user("POST", "/reports")
    assert (granted.status, granted.body) == (200, {"ok": True, "used": 1})
    assert recipe.billing.usage("user_7", "premium-credits") == {
        "used": 1,
        "limit": 50,
        "remaining": 49,
    }


def test_the_webhook_view_refuses_what_stripe_did_not_sign(recipe: Recipe) -> None:
    event = json.dumps({"id": "evt_forged", "object": "event", "type": "customer.updated"})
    forged = sign(event.encode(), "whsec_not_the_endpoints", int(time.time()))
    stripe_side = Browser(recipe.site.port, "")
    answer = stripe_side(
        "POST", "/stripe/webhook", event.encode(), headers={"Stripe-Signature": forged}
    )
    assert (answer.status, answer.body) == (
        400,
        {
            "error": "signature verification failed: No signatures found matching the "
            "expected signature for payload"
        },
    )


@pytest.mark.parametrize("recipe", ["django"], indirect=True)
def test_django_keeps_csrf_protection_on_the_users_views(recipe: Recipe) -> None:
    user = Browser(recipe.site.port, "user_7")
    refused = user("POST", "/billing/checkout/standard_monthly")
    assert refused.status == 403  # no csrftoken cookie yet: CsrfViewMiddleware refuses
    assert b"CSRF verification failed" in refused.body
    assert user("GET", "/me/entitlements").status == 200  # sets the csrftoken cookie
    assert user("POST", "/billing/checkout/standard_monthly", csrf=False).status == 403
    assert user("POST", "/billing/checkout/standard_monthly").status == 303
