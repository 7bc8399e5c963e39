"""Tiny HTML pages behind Checkout and Billing Portal URLs, so those links resolve."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.emulator.state import Emulator

_CHECKOUT = """<!doctype html>
<html><head><meta charset="utf-8"><title>Emulated Checkout {id}</title></head>
<body>
<h1>Emulated Stripe Checkout</h1>
<p>Session <code>{id}</code> ({mode}), status <strong>{status}</strong>,
total {total} {currency}.</p>
<button id="pay">Pay with test card 4242</button>
<p>Tests complete it with <code>POST /_emulator/checkout/sessions/{id}/complete</code>.</p>
<script>
document.getElementById("pay").onclick = async () => {{
  await fetch("/_emulator/checkout/sessions/{id}/complete", {{method: "POST", body: "{{}}"}});
  const next = {success};
  if (next) {{ window.location = next; }} else {{ window.location.reload(); }}
}};
</script>
</body></html>
"""

_PORTAL = """<!doctype html>
<html><head><meta charset="utf-8"><title>Emulated Billing Portal {id}</title></head>
<body>
<h1>Emulated Stripe Billing Portal</h1>
<p>Customer <code>{customer}</code>.</p>
<p><a href="{return_url}">Return to the site</a></p>
</body></html>
"""


def render_page(emulator: Emulator, path: str) -> str | None:
    """The HTML of `/checkout/<id>` and `/billing_portal/<id>`; None for any other path."""
    kind, _, object_id = path.strip("/").partition("/")
    with emulator.lock:
        if kind == "checkout" and object_id in emulator.checkout_sessions:
            session = emulator.checkout_sessions.get(object_id) or {}
            return _CHECKOUT.format(
                id=html.escape(object_id),
                mode=html.escape(str(session["mode"])),
                status=html.escape(str(session["status"])),
                total=session["amount_total"],
                currency=html.escape(str(session["currency"] or "")),
                success=json.dumps(session["success_url"]),
            )
        if kind == "billing_portal" and object_id in emulator.portal_sessions:
            session = emulator.portal_sessions.get(object_id) or {}
            return _PORTAL.format(
                id=html.escape(object_id),
                customer=html.escape(str(session["customer"])),
                return_url=html.escape(str(session["return_url"] or "/")),
            )
    return None
