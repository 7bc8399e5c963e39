"""One `/v1` request from headers and body to an answer: Stripe's request pipeline.

In order: count it, apply the rate limits (429 at once), check the API key, inject a
"before" fault, decode the parameters, claim the Idempotency-Key, add latency, run the
handler under the state lock (or fail "during"), replace its answer with a 500 ("after")
or mark the connection for dropping ("drop"), and save what Stripe would save for the key.
Docs: api/idempotent_requests ("saves the status code and body of the first request made
with a given idempotency key after endpoint execution begins ... including 500 errors").
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.emulator.call import Call
from reconciler.emulator.errors import StripeError, api_error, mask_key
from reconciler.emulator.expand import expand
from reconciler.emulator.faults import Injection
from reconciler.emulator.forms import as_str_list, check_params, parse_form
from reconciler.emulator.idempotency import InFlight, StoredResponse
from reconciler.emulator.router import Route
from reconciler.emulator.routes import ROUTER
from reconciler.emulator.state import Emulator
from reconciler.emulator.store import new_id

# Docs (api/idempotent_requests): "Keys can be up to 255 characters long."
MAX_KEY_LENGTH = 255
_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)
_RATE_LIMITED = StripeError(
    429,
    "Request rate limit exceeded. Learn more about rate limits here "
    "https://stripe.com/docs/rate-limits.",
    code="rate_limit",
)


@dataclass
class Answer:
    """What the front sends: status, JSON body, extra headers, and whether to hang up instead."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def _error(error: StripeError, headers: dict[str, str]) -> Answer:
    return Answer(error.status, json.dumps(error.envelope()).encode(), headers)


def api_key(header: str | None) -> str | None:
    """The key from `Authorization: Bearer sk_...` or curl's `-u sk_...:` basic auth."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode().partition(":")[0]
        except (ValueError, binascii.Error):
            return None
    return None


def _auth_error(header: str | None) -> StripeError | None:
    key = api_key(header)
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


def _should_retry(answer: Answer, advice: str) -> Answer:
    answer.headers["Stripe-Should-Retry"] = advice
    return answer


def handle_api(
    emulator: Emulator, method: str, path: str, query: str, body: str, headers: Mapping[str, str]
) -> Answer:
    """The answer to one `/v1` request (see the module docstring for the order of steps);
    `headers` are keyed by lower-case name."""
    extra = {"Request-Id": new_id("req_", 14)}
    now = time.monotonic()
    matched = ROUTER.match(method, path)
    route, args = matched if matched is not None else (None, ())
    label = f"{method} {route.label if route is not None else path}"
    emulator.counters.record(label, now)
    if emulator.faults.over_rate_limit(now, label):
        emulator.counters.add_rate_limited()
        return _error(_RATE_LIMITED, extra)
    failure = _auth_error(headers.get("authorization"))
    injection = None if failure else emulator.faults.injected(method, path)
    if injection is not None:
        emulator.counters.add_error_injected()
        if injection.point == "before":
            failure = _injected(injection.status)
    if failure is not None:
        emulator.faults.delay()
        return _error(failure, extra)
    key = headers.get("idempotency-key") if method == "POST" else None
    if key is not None:
        extra["Idempotency-Key"] = key[:MAX_KEY_LENGTH]
        if len(key) > MAX_KEY_LENGTH or not key:
            error = StripeError(
                400,
                f"Idempotency keys can be up to {MAX_KEY_LENGTH} characters long; this one "
                f"has {len(key)}.",
                type="idempotency_error",
            )
            return _error(error, extra)
    try:
        params = parse_form(body if method == "POST" else query)
    except StripeError as error:
        return _error(error, extra)
    call = Call(method, path, params, args, extra["Request-Id"], key, headers.get("stripe-version"))
    if key is None:
        emulator.faults.delay()
        answer, _ = _execute(emulator, route, call, injection)
        answer.headers.update(extra)
        return answer
    fingerprint = (method, path, json.dumps(params, sort_keys=True))
    entry = emulator.idempotency.begin(key, fingerprint, emulator.clock.now())
    if entry is not None:
        return _replay(entry, fingerprint, key, extra)
    # Latency counts as processing time, so a key stays claimed while it passes.
    emulator.faults.delay()
    answer, saved = _execute(emulator, route, call, injection)
    if saved:
        stored = StoredResponse(fingerprint, answer.status, answer.body, emulator.clock.now())
        emulator.idempotency.finish(key, stored)
    else:
        emulator.idempotency.abandon(key)
    answer.headers.update(extra)
    return answer


def _execute(
    emulator: Emulator, route: Route | None, call: Call, injection: Injection | None
) -> tuple[Answer, bool]:
    """Run the endpoint with any fault that strikes once it began; (answer, saved)."""
    if injection is not None and injection.point == "during":
        return _should_retry(_error(_injected(injection.status), {}), "false"), True
    status, payload, saved = run(emulator, route, call)
    if injection is not None and injection.point == "after":
        return _should_retry(_error(_injected(injection.status), {}), "false"), True
    return Answer(status, payload, drop=injection is not None and injection.point == "drop"), saved


def _replay(
    entry: StoredResponse | InFlight,
    fingerprint: tuple[str, str, str],
    key: str,
    extra: dict[str, str],
) -> Answer:
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
        return _should_retry(_error(error, extra), "true")
    else:
        answer = Answer(entry.status, entry.body, {**extra, "Idempotent-Replayed": "true"})
        # A saved failure comes back for every retry with this key: only a new key helps.
        return _should_retry(answer, "false") if entry.status >= 500 else answer
    return _error(error, extra)


def run(emulator: Emulator, route: Route | None, call: Call) -> tuple[int, bytes, bool]:
    """Run the route's handler: status, body, and whether Stripe would save it for a key."""
    if route is None:
        error = StripeError(
            404,
            f"Unrecognized request URL ({call.method}: {call.path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        )
        return 404, json.dumps(error.envelope()).encode(), False
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
