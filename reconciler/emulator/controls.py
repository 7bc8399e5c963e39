"""The `/_emulator/` control endpoints: reset, clock, faults, counters and shortcuts.

They take and return JSON, need no key, and are never counted as `/v1` traffic.
Actions that change account state run under the same lock as API handlers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.emulator.billing import advance_clock
from reconciler.emulator.checkout import complete_session
from reconciler.emulator.errors import StripeError
from reconciler.emulator.products import seed_products
from reconciler.emulator.state import Emulator

Answer = tuple[int, Any]
_COMPLETE = re.compile(r"^/_emulator/checkout/sessions/([^/]+)/complete$")


def _json(body: str) -> dict[str, Any]:
    if not body.strip():
        return {}
    parsed = json.loads(body)
    if not isinstance(parsed, dict):
        raise ValueError("the body must be a JSON object")
    return parsed


def handle_control(emulator: Emulator, method: str, path: str, body: str) -> Answer:
    """Answer one control request; bad JSON is a 400 with Stripe's envelope."""
    if method != "GET":
        emulator.writes += 1
    try:
        return _dispatch(emulator, method, path, _json(body))
    except StripeError as error:
        return error.status, error.envelope()
    except (ValueError, TypeError, KeyError) as error:
        return 400, StripeError(400, f"Invalid control request: {error}").envelope()


def _dispatch(emulator: Emulator, method: str, path: str, body: dict[str, Any]) -> Answer:
    route = (method, path.rstrip("/"))
    if route == ("POST", "/_emulator/reset"):
        emulator.reset()
        return 200, {"reset": True}
    if route == ("GET", "/_emulator/clock"):
        return 200, {"now": emulator.clock.now()}
    if route == ("POST", "/_emulator/clock/advance"):
        seconds = int(body.get("seconds", 0))
        if seconds < 0:
            raise ValueError("seconds must not be negative: the clock only moves forward")
        with emulator.lock:
            return 200, {"now": advance_clock(emulator, seconds)}
    if route == ("GET", "/_emulator/faults"):
        return 200, emulator.faults.describe()
    if route == ("POST", "/_emulator/faults"):
        emulator.faults.update(body)
        return 200, emulator.faults.describe()
    if route == ("DELETE", "/_emulator/faults"):
        emulator.faults.clear()
        return 200, emulator.faults.describe()
    if route == ("GET", "/_emulator/counters"):
        return 200, emulator.counters.snapshot()
    if route == ("POST", "/_emulator/counters/reset"):
        emulator.counters.reset()
        return 200, emulator.counters.snapshot()
    if route == ("POST", "/_emulator/webhooks/flush"):
        return 200, {"pending": emulator.webhooks.flush()}
    if route == ("POST", "/_emulator/seed/products"):
        with emulator.lock:
            return 200, {"created": seed_products(emulator, int(body.get("count", 0)))}
    found = _COMPLETE.match(path)
    if method == "POST" and found:
        with emulator.lock:
            session = complete_session(
                emulator, found.group(1), str(body.get("payment_method", "pm_card_visa"))
            )
            return 200, json.loads(json.dumps(session))
    return 404, StripeError(404, f"Unknown emulator control: {method} {path}").envelope()
