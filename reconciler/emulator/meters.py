"""Billing meters: create, retrieve, update (display name only), list, deactivate, reactivate.

A meter names the `event_name` whose meter events it aggregates; its summaries
(`GET /v1/billing/meters/:id/event_summaries`) add up one customer's events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import StripeError, invalid_value, missing_parameter
from reconciler.emulator.events import emit
from reconciler.emulator.forms import SCALAR, STRINGS
from reconciler.emulator.listing import (
    EXPAND_ONLY,
    LIST_PARAMS,
    computed_list_answer,
    fields_equal,
    list_answer,
    retriever,
)
from reconciler.emulator.meter_events import summaries
from reconciler.emulator.store import StripeObject, new_id

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

FORMULAS = ("count", "last", "sum")
TIME_WINDOWS = ("day", "hour")
# Stripe's defaults when a meter names no payload keys.
DEFAULT_CUSTOMER_KEY = "stripe_customer_id"
DEFAULT_VALUE_KEY = "value"
_CREATE: dict[str, Any] = {
    "customer_mapping": {"event_payload_key": SCALAR, "type": SCALAR},
    "default_aggregation": {"formula": SCALAR},
    "display_name": SCALAR,
    "event_name": SCALAR,
    "event_time_window": SCALAR,
    "expand": STRINGS,
    "value_settings": {"event_payload_key": SCALAR},
}
_UPDATE: dict[str, Any] = {"display_name": SCALAR, "expand": STRINGS}
_LIST: dict[str, Any] = {**LIST_PARAMS, "status": SCALAR}
_SUMMARIES: dict[str, Any] = {
    **LIST_PARAMS,
    "customer": SCALAR,
    "end_time": SCALAR,
    "start_time": SCALAR,
    "value_grouping_window": SCALAR,
}
_MAX_LENGTHS = {"display_name": 250, "event_name": 100}


def _text(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not value:
        raise missing_parameter(name)
    text = str(value)
    if len(text) > _MAX_LENGTHS[name]:
        raise invalid_value(
            name, f"Invalid {name}: must be at most {_MAX_LENGTHS[name]} characters"
        )
    return text


def _payload_key(params: dict[str, Any], group: str, default: str) -> str:
    given = params.get(group)
    if given is None:
        return default
    if not isinstance(given, dict) or not given.get("event_payload_key"):
        raise missing_parameter(f"{group}[event_payload_key]")
    return str(given["event_payload_key"])


def _refuse_second_active(emulator: Emulator, event_name: str, param: str | None) -> None:
    """One active meter per event name, so every event has one meter to count it."""
    if any(
        m["event_name"] == event_name and m["status"] == "active" for m in emulator.meters.values()
    ):
        raise StripeError(
            400, f"An active meter with event_name `{event_name}` already exists.", param=param
        )


def create_meter(emulator: Emulator, call: Call) -> Any:
    params = call.params
    display_name = _text(params, "display_name")
    event_name = _text(params, "event_name")
    formula = (params.get("default_aggregation") or {}).get("formula")
    if not formula:
        raise missing_parameter("default_aggregation[formula]")
    if formula not in FORMULAS:
        raise invalid_value(
            "default_aggregation[formula]",
            "Invalid default_aggregation[formula]: must be one of count, last, or sum",
        )
    mapping = params.get("customer_mapping")
    if mapping is not None and mapping.get("type") != "by_id":
        raise invalid_value(
            "customer_mapping[type]", "Invalid customer_mapping[type]: must be by_id"
        )
    window = params.get("event_time_window")
    if window is not None and window not in TIME_WINDOWS:
        raise invalid_value(
            "event_time_window", "Invalid event_time_window: must be one of day or hour"
        )
    if any(
        m["event_name"] == event_name and m["status"] == "active" for m in emulator.meters.values()
    ):
        raise invalid_value(
            "event_name", f"An active meter with event_name `{event_name}` already exists."
        )
    now = emulator.clock.now()
    meter: StripeObject = {
        "id": new_id("mtr_test_"),
        "object": "billing.meter",
        "created": now,
        "customer_mapping": {
            "event_payload_key": _payload_key(params, "customer_mapping", DEFAULT_CUSTOMER_KEY),
            "type": "by_id",
        },
        "default_aggregation": {"formula": formula},
        "display_name": display_name,
        "event_name": event_name,
        "event_time_window": window,
        "livemode": False,
        "status": "active",
        "status_transitions": {"deactivated_at": None},
        "updated": now,
        "value_settings": {
            "event_payload_key": _payload_key(params, "value_settings", DEFAULT_VALUE_KEY)
        },
    }
    emulator.meters.add(meter)
    emit(emulator, "billing.meter.created", meter, call)
    return meter


def update_meter(emulator: Emulator, call: Call) -> Any:
    meter = emulator.require("meters", call.args[0])
    if "display_name" in call.params:
        before = dict(meter)
        meter["display_name"] = _text(call.params, "display_name")
        if meter != before:
            meter["updated"] = emulator.clock.now()
            emit(emulator, "billing.meter.updated", meter, call, before)
    return meter


def _set_status(emulator: Emulator, call: Call, status: str) -> StripeObject:
    meter = emulator.require("meters", call.args[0])
    if meter["status"] == status:
        raise StripeError(400, f"This meter is already {status}.")
    if status == "active":
        _refuse_second_active(emulator, meter["event_name"], None)
    before = dict(meter)
    now = emulator.clock.now()
    meter["status"] = status
    meter["status_transitions"] = {"deactivated_at": now if status == "inactive" else None}
    meter["updated"] = now
    kind = "deactivated" if status == "inactive" else "reactivated"
    emit(emulator, f"billing.meter.{kind}", meter, call, before)
    return meter


def deactivate_meter(emulator: Emulator, call: Call) -> Any:
    return _set_status(emulator, call, "inactive")


def reactivate_meter(emulator: Emulator, call: Call) -> Any:
    return _set_status(emulator, call, "active")


def list_meters(emulator: Emulator, call: Call) -> Any:
    status = call.params.get("status")
    if status is not None and status not in ("active", "inactive"):
        raise invalid_value("status", "Invalid status: must be one of active or inactive")
    matches = fields_equal(call.params, ("status",))
    return list_answer(emulator.meters, call.params, "/v1/billing/meters", "billing.meter", matches)


def list_event_summaries(emulator: Emulator, call: Call) -> Any:
    params = call.params
    meter = emulator.require("meters", call.args[0])
    for name in ("customer", "start_time", "end_time"):
        if params.get(name) in (None, ""):
            raise missing_parameter(name)
    url = f"/v1/billing/meters/{meter['id']}/event_summaries"
    found = summaries(emulator, meter, params)
    return computed_list_answer(found, params, url, "billing.meter_event_summary")


def register(router: Router) -> None:
    add = router.add
    add("POST", "/v1/billing/meters", create_meter, params=_CREATE, sdk="billing.MeterCreateParams")
    add("GET", "/v1/billing/meters", list_meters, params=_LIST, sdk="billing.MeterListParams")
    add(
        "GET",
        "/v1/billing/meters/:id",
        retriever("meters"),
        params=EXPAND_ONLY,
        sdk="billing.MeterRetrieveParams",
    )
    add(
        "POST",
        "/v1/billing/meters/:id",
        update_meter,
        params=_UPDATE,
        sdk="billing.MeterUpdateParams",
    )
    add(
        "POST",
        "/v1/billing/meters/:id/deactivate",
        deactivate_meter,
        params=EXPAND_ONLY,
        sdk="billing.MeterDeactivateParams",
    )
    add(
        "POST",
        "/v1/billing/meters/:id/reactivate",
        reactivate_meter,
        params=EXPAND_ONLY,
        sdk="billing.MeterReactivateParams",
    )
    add(
        "GET",
        "/v1/billing/meters/:id/event_summaries",
        list_event_summaries,
        params=_SUMMARIES,
        sdk="billing.MeterEventSummaryListParams",
    )
