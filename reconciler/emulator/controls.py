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
from reconciler.emulator.portal_configurations import save_dashboard_settings
from reconciler.emulator.products import seed_products
from reconciler.emulator.state import Emulator

Answer = tuple[int, Any]
_COMPLETE = re.compile(r"^/_emulator/checkout/sessions/([^/]+)/complete$")
# Ten years: far past any test, and a bound on the billing work one advance can ask for.
MAX_ADVANCE = 10 * 366 * 86400
MAX_SEED = 100_000


def _count(body: dict[str, Any], name: str, high: int) -> int:
    """A whole number in [0, high]; floats such as 1e300, strings and booleans are refused."""
    value = body.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise ValueError(f"{name} must be an integer from 0 to {high}, not {json.dumps(value)}")
    return value


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
    except RecursionError:
        return 400, StripeError(400, "Invalid control request: nested too deeply").envelope()
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
        # The clock only moves forward.
        seconds = _count(body, "seconds", MAX_ADVANCE)
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
    if route == ("POST", "/_emulator/billing_portal/dashboard"):
        with emulator.lock:
            return 200, save_dashboard_settings(emulator)
    if route == ("POST", "/_emulator/webhooks/flush"):
        return 200, {"pending": emulator.webhooks.flush()}
    if route == ("POST", "/_emulator/seed/products"):
        with emulator.lock:
            return 200, {"created": seed_products(emulator, _count(body, "count", MAX_SEED))}
    found = _COMPLETE.match(path)
    if method == "POST" and found:
        payment_method = body.get("payment_method", "pm_card_visa")
        if not isinstance(payment_method, str):
            raise ValueError("payment_method must be a string")
        with emulator.lock:
            session = complete_session(emulator, found.group(1), payment_method)
            return 200, json.loads(json.dumps(session))
    return 404, StripeError(404, f"Unknown emulator control: {method} {path}").envelope()
