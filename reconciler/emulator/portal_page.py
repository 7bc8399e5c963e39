"""The hosted Billing Portal page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.emulator.pages import Page, escape, render

if TYPE_CHECKING:
    from reconciler.emulator.state import Emulator


def answer(
    emulator: Emulator, session_id: str, method: str, action: str, form: dict[str, str]
) -> Page:
    session = emulator.require("portal_sessions", session_id)
    body = (
        f"<p>Customer <code>{escape(session['customer'])}</code>.</p>"
        f"<p><a id='return' href='{escape(session['return_url'] or '/')}'>Return</a></p>"
    )
    return render("Billing Portal", body)
