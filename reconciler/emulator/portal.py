"""Billing Portal sessions: a URL back at the emulator's `/billing_portal/<id>` page.

A session uses the `configuration` it names (it must exist and be active) or the account's
default one; with neither, Stripe refuses it (the message users report verbatim; docs:
api/customer_portal/sessions/create, "configuration ... If not specified, the session uses
the default configuration").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import StripeError, missing_parameter
from reconciler.emulator.forms import FREE, SCALAR, STRINGS, not_modelled
from reconciler.emulator.portal_configurations import default_configuration
from reconciler.emulator.store import StripeObject, new_id

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

NO_DEFAULT_CONFIGURATION = (
    "No configuration provided and your test mode default configuration has not been created. "
    "Provide a configuration or create your default by saving your customer portal settings in "
    "test mode at https://dashboard.stripe.com/test/settings/billing/portal."
)
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
    configuration = _configuration(emulator, params.get("configuration"))
    session_id = new_id("bps_")
    session: StripeObject = {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": configuration["id"],
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


def _configuration(emulator: Emulator, wanted: Any) -> StripeObject:
    if wanted:
        found = emulator.require("portal_configurations", wanted, "configuration")
        if not found["active"]:
            # Stripe's wording for an inactive configuration is not documented.
            raise StripeError(
                400, f"The configuration {found['id']} is not active.", param="configuration"
            )
        return found
    default = default_configuration(emulator)
    if default is None:
        raise StripeError(400, NO_DEFAULT_CONFIGURATION)
    return default


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/billing_portal/sessions",
        create_portal_session,
        params=_CREATE,
        sdk="billing_portal.SessionCreateParams",
    )
