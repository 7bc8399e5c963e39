"""The HTTP front: a threaded stdlib server speaking Stripe's wire protocol.

Per `/v1` request: count it, apply the rate limit, check the API key, inject
faults, claim the Idempotency-Key, add latency, then run the handler under the
state lock and serialise its answer while still holding it. Rate-limited
answers come back at once; every other answer waits out the added latency.
"""

from __future__ import annotations

import base64
import json
import socket
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reconciler.emulator.controls import handle_control
from reconciler.emulator.errors import StripeError, api_error, mask_key
from reconciler.emulator.expand import expand
from reconciler.emulator.forms import as_str_list, check_params, parse_form
from reconciler.emulator.idempotency import InFlight, StoredResponse
from reconciler.emulator.pages import render_page
from reconciler.emulator.router import Call, build_router
from reconciler.emulator.state import Emulator
from reconciler.emulator.store import new_id

_ROUTER = build_router()
_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)


class EmulatorServer(ThreadingHTTPServer):
    """A threading server that carries the emulator state for its handlers."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        super().__init__(address, RequestHandler)


def _api_key(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        # curl -u sk_test_...: sends the key as the Basic user name.
        try:
            return base64.b64decode(value).decode().partition(":")[0]
        except ValueError:
            return None
    return None


def _auth_error(header: str | None) -> StripeError | None:
    key = _api_key(header)
    if key is None or key == "":
        return StripeError(401, _NO_KEY)
    if key.startswith(("sk_test_", "rk_test_")):
        return None
    return StripeError(401, f"Invalid API Key provided: {mask_key(key)}")


def _injected(status: int) -> StripeError:
    if status == 429:
        return StripeError(
            429,
            "Too many requests hit the API too quickly (injected by the emulator).",
            code="rate_limit",
        )
    if status >= 500:
        return api_error(status)
    return StripeError(status, f"Injected failure with status {status}.")


class RequestHandler(BaseHTTPRequestHandler):
    """Answers `/v1`, `/_emulator` and the checkout and portal pages."""

    protocol_version = "HTTP/1.1"
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        # Answers go out in one write; without this, Nagle and delayed ACKs add 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no line per request."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode(errors="replace") if length else ""

    def _serve(self, method: str) -> None:
        path, _, query = self.path.partition("?")
        body = self._body()
        emulator = self.server.emulator
        if path.startswith("/v1/"):
            status, payload, extra = self._api(emulator, method, path, query, body)
            self._send(status, payload, "application/json", extra)
        elif path.startswith("/_emulator/"):
            status, answer = handle_control(emulator, method, path, body)
            self._send(status, json.dumps(answer).encode(), "application/json", {})
        else:
            status, html = render_page(emulator, path)
            self._send(status, html.encode(), "text/html; charset=utf-8", {})

    def _api(
        self, emulator: Emulator, method: str, path: str, query: str, body: str
    ) -> tuple[int, bytes, dict[str, str]]:
        request_id = new_id("req_", 14)
        extra = {"Request-Id": request_id}
        now = time.monotonic()
        emulator.counters.record(_ROUTER.label_for(method, path), now)
        failure: StripeError | None = None
        if emulator.faults.over_rate_limit(now):
            emulator.counters.add_rate_limited()
            failure = StripeError(
                429,
                "Request rate limit exceeded. Learn more about rate limits here "
                "https://stripe.com/docs/rate-limits.",
                code="rate_limit",
            )
        else:
            failure = _auth_error(self.headers.get("Authorization"))
            if failure is None:
                status = emulator.faults.injected_status(method, path)
                if status is not None:
                    emulator.counters.add_error_injected()
                    failure = _injected(status)
        if failure is not None:
            if failure.status != 429:
                emulator.faults.delay()
            return failure.status, json.dumps(failure.envelope()).encode(), extra
        key = self.headers.get("Idempotency-Key") if method == "POST" else None
        if key:
            extra["Idempotency-Key"] = key
        try:
            params = parse_form(body if method == "POST" else query)
        except StripeError as error:
            return error.status, json.dumps(error.envelope()).encode(), extra
        call = Call(method, path, params, (), request_id, key, self.headers.get("Stripe-Version"))
        if key is None:
            emulator.faults.delay()
            status, payload, _ = self._run(emulator, call)
            return status, payload, extra
        fingerprint = (method, path, json.dumps(params, sort_keys=True))
        entry = emulator.idempotency.begin(key, fingerprint, emulator.clock.now())
        if entry is not None:
            return self._idempotent_answer(entry, fingerprint, key, extra)
        # Latency counts as processing time, so a key stays claimed while it passes.
        emulator.faults.delay()
        status, payload, saved = self._run(emulator, call)
        if saved:
            stored = StoredResponse(fingerprint, status, payload, emulator.clock.now())
            emulator.idempotency.finish(key, stored)
        else:
            emulator.idempotency.abandon(key)
        return status, payload, extra

    @staticmethod
    def _idempotent_answer(
        entry: StoredResponse | InFlight,
        fingerprint: tuple[str, str, str],
        key: str,
        extra: dict[str, str],
    ) -> tuple[int, bytes, dict[str, str]]:
        if entry.fingerprint[:2] != fingerprint[:2]:
            error = StripeError(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{entry.fingerprint[0]} {entry.fingerprint[1]}' vs "
                f"'{fingerprint[0]} {fingerprint[1]}'). Try using a key other than '{key}' if "
                "you meant to execute a different request.",
                type="idempotency_error",
            )
        elif entry.fingerprint != fingerprint:
            error = StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                type="idempotency_error",
            )
        elif isinstance(entry, InFlight):
            error = StripeError(
                409,
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still "
                f"going through): {key}. Please try again later.",
                code="idempotency_key_in_use",
            )
        else:
            return entry.status, entry.body, {**extra, "Idempotent-Replayed": "true"}
        return error.status, json.dumps(error.envelope()).encode(), extra

    @staticmethod
    def _run(emulator: Emulator, call: Call) -> tuple[int, bytes, bool]:
        """Run the handler: status, body, and whether Stripe would save it for a key."""
        matched = _ROUTER.match(call.method, call.path)
        if matched is None:
            error = StripeError(
                404,
                f"Unrecognized request URL ({call.method}: {call.path}). Please see "
                "https://stripe.com/docs or we can help at https://support.stripe.com/.",
            )
            return 404, json.dumps(error.envelope()).encode(), False
        route, args = matched
        call = Call(
            call.method,
            call.path,
            call.params,
            args,
            call.request_id,
            call.idempotency_key,
            call.api_version,
        )
        try:
            check_params(call.params, route.params)
            with emulator.lock:
                answer = route.handler(emulator, call)
                if call.method != "GET":
                    emulator.writes += 1
                paths = as_str_list(call.params.get("expand"), "expand")
                return 200, json.dumps(expand(emulator, answer, paths)).encode(), True
        except StripeError as error:
            return error.status, json.dumps(error.envelope()).encode(), not error.is_validation
        except Exception as error:
            # A bug in the emulator: answer like Stripe's own 500 and show the traceback.
            traceback.print_exc()
            failure = StripeError(
                500, f"Emulator internal error: {type(error).__name__}: {error}", type="api_error"
            )
            return 500, json.dumps(failure.envelope()).encode(), False

    def _send(self, status: int, payload: bytes, content_type: str, extra: dict[str, str]) -> None:
        lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}"]
        lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(payload)}")
        lines.append("Stripe-Version: " + (self.headers.get("Stripe-Version") or "emulator"))
        lines.extend(f"{name}: {value}" for name, value in extra.items())
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + payload)
