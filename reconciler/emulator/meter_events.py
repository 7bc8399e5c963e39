"""Meter events (`POST /v1/billing/meter_events`) and the summaries meters compute from them.

Stripe keeps an event's `identifier` unique for at least 24 hours and refuses a
second event with the same one. Events are aggregated per meter (matched by
`event_name`) and customer (the meter's customer payload key) when summaries
are asked for; Stripe does this asynchronously, the emulator at once.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import StripeError, invalid_value, missing_parameter
from reconciler.emulator.forms import FREE, SCALAR, STRINGS, as_int
from reconciler.emulator.store import StripeObject, new_id

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

_CREATE: dict[str, Any] = {
    "event_name": SCALAR,
    "expand": STRINGS,
    "identifier": SCALAR,
    "payload": FREE,
    "timestamp": SCALAR,
}
DEDUPE_SECONDS = 24 * 3600
_PAST_LIMIT = 35 * 24 * 3600
_FUTURE_LIMIT = 5 * 60
_WINDOWS = {"hour": 3600, "day": 86400}


def create_meter_event(emulator: Emulator, call: Call) -> Any:
    params = call.params
    if not params.get("event_name"):
        raise missing_parameter("event_name")
    payload = params.get("payload")
    if not isinstance(payload, dict) or not payload:
        raise missing_parameter("payload")
    now = emulator.clock.now()
    timestamp = as_int(params["timestamp"], "timestamp") if "timestamp" in params else now
    if not now - _PAST_LIMIT <= timestamp <= now + _FUTURE_LIMIT:
        raise invalid_value(
            "timestamp",
            "Timestamp must be within the past 35 calendar days or up to 5 minutes in the future.",
        )
    identifier = str(params.get("identifier") or new_id("", 24))
    first_seen = emulator.meter_event_identifiers.get(identifier)
    if first_seen is not None and now - first_seen < DEDUPE_SECONDS:
        raise StripeError(
            400, f"An event already exists with identifier {identifier}.", param="identifier"
        )
    emulator.meter_event_identifiers[identifier] = now
    event: StripeObject = {
        "object": "billing.meter_event",
        "created": now,
        "event_name": str(params["event_name"]),
        "identifier": identifier,
        "livemode": False,
        "payload": {str(key): str(value) for key, value in payload.items()},
        "timestamp": timestamp,
    }
    # A deactivated meter accepts no events, so each event remembers who counted it.
    counted = [
        meter["id"]
        for meter in emulator.meters.values()
        if meter["status"] == "active" and meter["event_name"] == event["event_name"]
    ]
    emulator.meter_events.append({"event": event, "meters": counted})
    return event


def _value(event: StripeObject, key: str) -> Decimal | None:
    try:
        return Decimal(event["payload"][key])
    except (KeyError, InvalidOperation):
        return None


def _aggregate(formula: str, events: list[StripeObject], value_key: str) -> float:
    if formula == "count":
        return float(len(events))
    values = [value for event in events if (value := _value(event, value_key)) is not None]
    if not values:
        return 0.0
    if formula == "last":
        return float(values[-1])
    return float(sum(values))


def _aligned(params: dict[str, Any], step: int) -> tuple[int, int]:
    start = as_int(params["start_time"], "start_time")
    end = as_int(params["end_time"], "end_time")
    for name, value in (("start_time", start), ("end_time", end)):
        if value % step:
            unit = {60: "minute", 3600: "hour", 86400: "day"}[step]
            raise invalid_value(name, f"{name} must be aligned with {unit} boundaries.")
    if end <= start:
        raise invalid_value("end_time", "end_time must be after start_time.")
    return start, end


def summaries(emulator: Emulator, meter: StripeObject, params: dict[str, Any]) -> list[Any]:
    """`billing.meter_event_summary` objects for one customer, newest window first."""
    window = params.get("value_grouping_window")
    if window is not None and window not in _WINDOWS:
        raise invalid_value(
            "value_grouping_window", "Invalid value_grouping_window: must be one of day or hour"
        )
    step = _WINDOWS[window] if window else 60
    start, end = _aligned(params, step)
    customer_key = meter["customer_mapping"]["event_payload_key"]
    value_key = meter["value_settings"]["event_payload_key"]
    mine = sorted(
        (
            entry["event"]
            for entry in emulator.meter_events
            if meter["id"] in entry["meters"]
            and entry["event"]["payload"].get(customer_key) == str(params["customer"])
        ),
        key=lambda event: (event["timestamp"], event["created"]),
    )
    bounds = (
        [(start, end)]
        if window is None
        else [(low, min(low + step, end)) for low in range(start, end, step)]
    )
    found = []
    for low, high in reversed(bounds):
        inside = [event for event in mine if low <= event["timestamp"] < high]
        found.append(
            {
                "id": f"mtrusg_test_{meter['id'].removeprefix('mtr_test_')}{low:x}",
                "object": "billing.meter_event_summary",
                "aggregated_value": _aggregate(
                    meter["default_aggregation"]["formula"], inside, value_key
                ),
                "end_time": high,
                "livemode": False,
                "meter": meter["id"],
                "start_time": low,
            }
        )
    return found


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/billing/meter_events",
        create_meter_event,
        params=_CREATE,
        sdk="billing.MeterEventCreateParams",
    )
