"""The emulator's hosted pages: Checkout (`/checkout/<id>`) and the Billing Portal
(`/billing_portal/<id>`), plain HTML forms a developer or a headless browser clicks through.

A page answers GET with HTML and takes its form's POST (url-encoded), answering with a 303 to
the next page, the way Stripe's hosted pages send the customer on. The pages stand above the
resources they drive (checkout sessions, subscriptions, payment methods); no resource imports
them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.emulator import checkout_page, portal_page
from reconciler.emulator.pages import Page, form_fields

if TYPE_CHECKING:
    from reconciler.emulator.state import Emulator


def handle_page(emulator: Emulator, method: str, path: str, body: str) -> Page | None:
    """Answer a GET or a form POST for a hosted page; None when `path` names none."""
    if method not in ("GET", "POST"):
        return None
    kind, _, rest = path.strip("/").partition("/")
    object_id, _, action = rest.partition("/")
    with emulator.lock:
        if kind == "checkout" and object_id in emulator.checkout_sessions:
            return checkout_page.answer(emulator, object_id, method, form_fields(body))
        if kind == "billing_portal" and object_id in emulator.portal_sessions:
            return portal_page.answer(emulator, object_id, method, action, form_fields(body))
    return None
