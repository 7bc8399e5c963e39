"""A stdlib WSGI app for `reconciler serve`: `POST /stripe/webhook` and `GET /healthz`.

Answers 200 for every verified event (processed, queued, duplicate or ignored), 400 for a body
that is not a signed event object (nothing written), 503 when the store is down (Stripe
retries later) and 500 for other failures, with a short JSON body that never holds a secret.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from reconciler.errors import ReconcilerError, StoreUnavailable, WebhookRejected
from reconciler.runtime.billing import Billing

WEBHOOK_PATH = "/stripe/webhook"
HEALTH_PATH = "/healthz"
# Stripe's events are small; anything larger is not a Stripe delivery.
MAX_BODY_BYTES = 1_000_000

log = logging.getLogger("reconciler.webhooks")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
Environ = dict[str, Any]
App = Callable[[Environ, StartResponse], Iterable[bytes]]
# Told each delivery's outcome and the seconds from its body being read to its answer.
DeliveryObserver = Callable[[str, float], None]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _answer(start: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body, sort_keys=True).encode()
    start(
        f"{status} {_REASONS[status]}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


def webhook_response(
    billing: Billing, payload: bytes, signature: str | None, queued: bool = False
) -> tuple[int, dict[str, Any]]:
    """Status code and JSON body for one delivery: the part a Flask or FastAPI view reuses.
    `queued`: answer from the recorded event and leave the Stripe re-read to the queue
    (`Billing.receive_webhook`); else process it now (`Billing.handle_webhook`)."""
    receive = billing.receive_webhook if queued else billing.handle_webhook
    try:
        result = receive(payload, signature)
    except WebhookRejected as exc:
        log.warning("webhook rejected: %s", exc)
        return 400, {"error": str(exc)}
    except StoreUnavailable as exc:
        log.error("webhook not processed: %s", exc)
        return 503, {"error": "store unavailable"}
    except ReconcilerError as exc:
        log.error("webhook failed: %s", exc)
        return 500, {"error": "webhook processing failed"}
    log.info("webhook %s %s: %s", result.event_id, result.type, result.action)
    return 200, {"received": True, "id": result.event_id, "action": result.action}


def delivery_outcome(status: int, body: dict[str, Any]) -> str:
    """One word for how a delivery was answered: the action of a verified event (`queued`,
    `processed`, `duplicate`, `ignored`, ...), or why it was not taken."""
    if status == 200:
        return str(body["action"])
    return {400: "rejected", 413: "too_large", 503: "store_unavailable"}.get(status, "failed")


def make_app(
    billing: Billing, queued: bool = False, on_delivery: DeliveryObserver | None = None
) -> App:
    """The WSGI application serving `billing` (`queued`: see `webhook_response`);
    `on_delivery` is told each delivery's outcome and duration (`reconciler serve`'s metrics)."""

    def app(environ: Environ, start: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                return _answer(start, 405, {"error": "use GET"})
            try:
                billing.store.ping()
            except StoreUnavailable:
                return _answer(start, 503, {"status": "store unavailable"})
            return _answer(start, 200, {"status": "ok"})
        if path != WEBHOOK_PATH:
            return _answer(start, 404, {"error": "not found"})
        if method != "POST":
            return _answer(start, 405, {"error": "use POST"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        started = time.perf_counter()
        if length > MAX_BODY_BYTES:
            status, body = 413, {"error": "body too large"}
        else:
            payload = environ["wsgi.input"].read(length) if length > 0 else b""
            signature = environ.get("HTTP_STRIPE_SIGNATURE")
            status, body = webhook_response(billing, payload, signature, queued)
        if on_delivery is not None:
            on_delivery(delivery_outcome(status, body), time.perf_counter() - started)
        return _answer(start, status, body)

    return app
