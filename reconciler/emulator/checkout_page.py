"""The hosted Checkout page: what the session sells, an email field when the session has no
customer, a card number, and the pay button that completes the session.

Paying runs `complete_session` (the card attached, the subscription started, the webhooks
sent) and sends the customer to `success_url`, with the literal `{CHECKOUT_SESSION_ID}`
replaced by the session's id, as Stripe documents for its hosted page
(docs.stripe.com/payments/checkout/custom-success-page). The back link goes to `cancel_url`.
Card numbers are Stripe's test cards (docs.stripe.com/testing), mapped to the emulator's test
payment methods.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from reconciler.emulator.checkout import complete_session
from reconciler.emulator.errors import StripeError
from reconciler.emulator.pages import Page, escape, money, redirect, render
from reconciler.emulator.periods import line_amount

if TYPE_CHECKING:
    from reconciler.emulator.state import Emulator
    from reconciler.emulator.store import StripeObject

TEST_CARD_NUMBERS = {
    "4242424242424242": "pm_card_visa",
    "5555555555554444": "pm_card_mastercard",
    "378282246310005": "pm_card_amex",
    "4000000000000002": "pm_card_chargeDeclined",
    "4000000000000341": "pm_card_chargeCustomerFail",
}
INVALID_NUMBER = "Your card number is invalid."
_BUTTONS = {"subscription": "Subscribe", "payment": "Pay", "setup": "Save card"}


def card_token(number: str) -> str | None:
    """The emulator's test payment method for a test card number typed on a page."""
    return TEST_CARD_NUMBERS.get(re.sub(r"[\s-]", "", number))


def _lines(emulator: Emulator, session_id: str) -> str:
    inputs = emulator.checkout_inputs.get(session_id, {"line_items": []})
    rows = []
    for line in inputs["line_items"]:
        price = emulator.prices.get(line["price"]) or {}
        product = emulator.products.get(price.get("product", "")) or {}
        amount = line_amount(price, emulator.price_tiers.get(price["id"], []), line["quantity"])
        recurring = price.get("recurring")
        every = f" per {recurring['interval']}" if recurring else ""
        rows.append(
            f"<tr><td>{escape(product.get('name'))}</td><td>{escape(price.get('nickname'))}</td>"
            f"<td>qty {line['quantity']}</td>"
            f"<td>{money(amount, price.get('currency'))}{every}</td></tr>"
        )
    return "<table id='line-items'>" + "".join(rows) + "</table>"


def _form(emulator: Emulator, session: StripeObject) -> str:
    trial = emulator.checkout_inputs.get(session["id"], {}).get("subscription_data", {})
    days = trial.get("trial_period_days")
    fields = []
    if session["customer"] is None:
        email = escape(session["customer_email"])
        fields.append(
            f"<label>Email <input name='email' id='email' type='email' required "
            f"value='{email}'></label>"
        )
    fields.append(
        "<label>Card number <input name='card' id='card' inputmode='numeric' "
        "value='4242 4242 4242 4242' autocomplete='off'></label>"
    )
    label = _BUTTONS.get(session["mode"], "Pay")
    return (
        (f"<p id='trial'>{escape(days)} days free, then billed as above.</p>" if days else "")
        + "<form method='post'>"
        + "".join(fields)
        + f"<button id='pay' type='submit'>{label}</button></form>"
    )


def _page(emulator: Emulator, session: StripeObject, error: str = "", status: int = 200) -> Page:
    total = money(session["amount_total"], session["currency"])
    parts = [
        _lines(emulator, session["id"]),
        f"<p>Total due: <strong id='total'>{total}</strong></p>",
        f"<p>Status: <strong id='status'>{escape(session['status'])}</strong>"
        f" <span class='note'>({escape(session['mode'])}, {escape(session['id'])})</span></p>",
    ]
    if error:
        parts.append(f"<p class='error' id='error'>{escape(error)}</p>")
    if session["status"] == "open":
        parts.append(_form(emulator, session))
    if session["cancel_url"]:
        parts.append(f"<p><a id='back' href='{escape(session['cancel_url'])}'>← Back</a></p>")
    return render("Checkout", "\n".join(parts), status)


def answer(emulator: Emulator, session_id: str, method: str, form: dict[str, str]) -> Page:
    """GET shows the session; POST pays it with the card in the form."""
    session = emulator.require("checkout_sessions", session_id)
    if method != "POST":
        return _page(emulator, session)
    token = card_token(form.get("card", ""))
    if token is None:
        return _page(emulator, session, INVALID_NUMBER, 400)
    try:
        complete_session(emulator, session_id, token, form.get("email") or None)
    except StripeError as error:
        return _page(emulator, session, error.message, error.status)
    if session["success_url"]:
        return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id))
    return _page(emulator, session)
