"""Billing Portal configurations: create, retrieve, update, list, and the account default.

Docs: api/customer_portal/configurations (create, update, retrieve, list, the object).
A configuration created through the API has `is_default: false`; the default one is made
by saving the customer portal settings in the Dashboard, which `save_dashboard_settings`
plays (the `/_emulator/billing_portal/dashboard` control). Portal sessions need either a
`configuration` or that default (see `portal.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import invalid_value, missing_parameter, unknown_parameter
from reconciler.emulator.events import emit
from reconciler.emulator.forms import (
    FREE,
    METADATA,
    SCALAR,
    STRINGS,
    as_bool,
    merge_metadata,
)
from reconciler.emulator.listing import EXPAND_ONLY, LIST_PARAMS, list_answer, retriever
from reconciler.emulator.store import StripeObject, new_id

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

_BUSINESS_PROFILE = {
    "headline": SCALAR,
    "privacy_policy_url": SCALAR,
    "terms_of_service_url": SCALAR,
}
_SETTABLE: dict[str, Any] = {
    "business_profile": _BUSINESS_PROFILE,
    "default_return_url": SCALAR,
    "features": FREE,
    "login_page": {"enabled": SCALAR},
    "metadata": METADATA,
    "name": SCALAR,
    "expand": STRINGS,
}
_UPDATE: dict[str, Any] = {**_SETTABLE, "active": SCALAR}
_LIST: dict[str, Any] = {**LIST_PARAMS, "active": SCALAR, "is_default": SCALAR}


def _default_features() -> dict[str, Any]:
    """The features of a configuration that sets none: the documented example object, with
    the fields the pinned version always answers (stripe-node 23.1.0's types):
    `schedule_at_period_end` (changelog 2024-12-18.acacia "Billing Portal Configuration
    always returns period end date"), `trial_update_behavior` (changelog 2025-09-30.clover
    "Adds customer portal configuration trial behavior": trials ended on every update
    before, so `end_trial`), `billing_cycle_anchor`, `payment_method_configuration` and
    `feedback_options` (null: not set)."""
    return {
        "customer_update": {"allowed_updates": [], "enabled": False},
        "invoice_history": {"enabled": False},
        "payment_method_update": {"enabled": False, "payment_method_configuration": None},
        "subscription_cancel": {
            "cancellation_reason": {"enabled": False, "feedback_options": None, "options": []},
            "enabled": False,
            "mode": "at_period_end",
            "proration_behavior": "none",
        },
        # "Defaults to `interval_options` with a single one-month option" (the SDK's
        # ConfigurationCreateParams docstring for `subscription_pause.duration`).
        "subscription_pause": {
            "duration": {
                "interval_options": [{"interval": "month", "interval_count": 1}],
                "type": "interval_options",
            },
            "enabled": False,
        },
        "subscription_update": {
            "billing_cycle_anchor": None,
            "default_allowed_updates": [],
            "enabled": False,
            "proration_behavior": "none",
            "products": [],
            "schedule_at_period_end": {"conditions": []},
            "trial_update_behavior": "end_trial",
        },
    }


def _merged(current: Any, given: Any, name: str) -> Any:
    """`given` laid over `current`: hashes merge key by key, "true"/"false" become booleans."""
    if isinstance(given, dict) and current is not None:
        if not isinstance(current, dict):
            raise invalid_value(name, "Invalid object", "parameter_invalid_object")
        merged = dict(current)
        for key, value in given.items():
            merged[key] = _merged(current.get(key), value, f"{name}[{key}]")
        return merged
    if current is None and isinstance(given, dict):
        raise unknown_parameter(name)
    if given in ("true", "false") and isinstance(current, bool):
        return given == "true"
    return given


def new_configuration(emulator: Emulator, is_default: bool) -> StripeObject:
    now = emulator.clock.now()
    return {
        "id": new_id("bpc_"),
        "object": "billing_portal.configuration",
        "active": True,
        "application": None,
        "business_profile": {
            "headline": None,
            "privacy_policy_url": None,
            "terms_of_service_url": None,
        },
        "created": now,
        "default_return_url": None,
        "features": _default_features(),
        "is_default": is_default,
        "livemode": False,
        "login_page": {"enabled": False, "url": None},
        "metadata": {},
        "name": None,
        "updated": now,
    }


def _apply(configuration: StripeObject, params: dict[str, Any]) -> None:
    for name in ("business_profile", "features"):
        if name in params:
            if not isinstance(params[name], dict):
                raise invalid_value(name, "Invalid object", "parameter_invalid_object")
            configuration[name] = _merged(configuration[name], params[name], name)
    if "login_page" in params:
        enabled = as_bool(params["login_page"].get("enabled", "false"), "login_page[enabled]")
        configuration["login_page"] = {"enabled": enabled, "url": None}
    for name in ("default_return_url", "name"):
        if name in params:
            configuration[name] = params[name] or None
    if "metadata" in params:
        configuration["metadata"] = merge_metadata(configuration["metadata"], params["metadata"])
    if "active" in params:
        configuration["active"] = as_bool(params["active"], "active")


def create_configuration(emulator: Emulator, call: Call) -> Any:
    if "features" not in call.params:
        raise missing_parameter("features")
    configuration = new_configuration(emulator, is_default=False)
    _apply(configuration, call.params)
    emulator.portal_configurations.add(configuration)
    emit(emulator, "billing_portal.configuration.created", configuration, call)
    return configuration


def update_configuration(emulator: Emulator, call: Call) -> Any:
    configuration = emulator.require("portal_configurations", call.args[0], "configuration")
    before = dict(configuration)
    _apply(configuration, call.params)
    if configuration != before:
        configuration["updated"] = emulator.clock.now()
        emit(emulator, "billing_portal.configuration.updated", configuration, call, before)
    return configuration


def list_configurations(emulator: Emulator, call: Call) -> Any:
    params = call.params
    wanted = {
        name: as_bool(params[name], name) for name in ("active", "is_default") if name in params
    }
    return list_answer(
        emulator.portal_configurations,
        params,
        "/v1/billing_portal/configurations",
        "billing_portal.configuration",
        lambda obj: all(obj[name] == value for name, value in wanted.items()),
    )


def default_configuration(emulator: Emulator) -> StripeObject | None:
    """The account's default configuration, if the Dashboard settings were ever saved."""
    return next((c for c in emulator.portal_configurations.values() if c["is_default"]), None)


def save_dashboard_settings(emulator: Emulator) -> StripeObject:
    """What saving the portal settings in the Dashboard does: make (or keep) the default."""
    found = default_configuration(emulator)
    if found is None:
        found = new_configuration(emulator, is_default=True)
        found["features"]["invoice_history"]["enabled"] = True
        emulator.portal_configurations.add(found)
        emit(emulator, "billing_portal.configuration.created", found, None)
    return found


def register(router: Router) -> None:
    label = "/v1/billing_portal/configurations"
    sdk = "billing_portal.Configuration"
    router.add("POST", label, create_configuration, params=_SETTABLE, sdk=f"{sdk}CreateParams")
    router.add("GET", label, list_configurations, params=_LIST, sdk=f"{sdk}ListParams")
    router.add(
        "GET",
        f"{label}/:id",
        retriever("portal_configurations"),
        params=EXPAND_ONLY,
        sdk=f"{sdk}RetrieveParams",
    )
    router.add(
        "POST", f"{label}/:id", update_configuration, params=_UPDATE, sdk=f"{sdk}UpdateParams"
    )
