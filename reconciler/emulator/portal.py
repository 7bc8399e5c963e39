"""Billing Portal sessions: a URL back at the emulator's `/billing_portal/<id>` page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import missing_parameter
from reconciler.emulator.forms import FREE, SCALAR, STRINGS, not_modelled
from reconciler.emulator.store import StripeObject, new_id

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

_CREATE = {
    "customer": SCALAR,
    "return_url": SCALAR,
    "configuration": SCALAR,
    "locale": SCALAR,
    "flow_data": FREE,
    "on_behalf_of": SCALAR,
    "expand": STRINGS,
    **not_modelled("after_expiration", "customer_account"),
}


def create_portal_session(emulator: Emulator, call: Call) -> Any:
    params = call.params
    if not params.get("customer"):
        raise missing_parameter("customer")
    customer = emulator.require("customers", params["customer"], "customer")
    session_id = new_id("bps_")
    session: StripeObject = {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": params.get("configuration") or "bpc_emulator_default",
        "created": emulator.clock.now(),
        "customer": customer["id"],
        "customer_account": None,
        "flow": None,
        "livemode": False,
        "locale": params.get("locale"),
        "on_behalf_of": None,
        "return_url": params.get("return_url"),
        "url": emulator.url(f"/billing_portal/{session_id}"),
    }
    emulator.portal_sessions.add(session)
    return session


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/billing_portal/sessions",
        create_portal_session,
        params=_CREATE,
        sdk="billing_portal.SessionCreateParams",
    )
