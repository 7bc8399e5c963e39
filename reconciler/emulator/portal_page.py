"""The hosted Billing Portal page: the customer's subscriptions and card, with exactly the
abilities the session's portal configuration grants
(docs.stripe.com/api/customer_portal/configuration, `features`):

* `subscription_update` (`enabled`, `default_allowed_updates` of `price` and `quantity`,
  `products: [{product, prices}]`): switch to another listed price, change the quantity;
* `subscription_cancel` (`enabled`, `mode`: `at_period_end` or `immediately`): cancel, and
  take back a cancellation scheduled for the period's end;
* `payment_method_update` (`enabled`): a new card becomes the customer's default and the
  subscriptions' default.

A subscription with several products or usage-based (metered) prices can only be cancelled,
never updated, whatever the configuration grants (docs.stripe.com/customer-management,
"Customer portal limitations"): the page lists its items and offers no update form. So a
customer removes an add-on in the portal only when the add-on is a subscription of its own,
by cancelling that subscription.

Each form posts to `/billing_portal/<id>/<action>`; the change goes through the same code as
the API (same events, so the application's webhooks see it), then 303 back to the page. An
action the configuration or those limitations do not allow answers 403 and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.billing import end_subscription
from reconciler.emulator.checkout_page import INVALID_NUMBER, card_token
from reconciler.emulator.errors import StripeError
from reconciler.emulator.events import emit
from reconciler.emulator.forms import as_int
from reconciler.emulator.pages import Page, escape, money, redirect, render
from reconciler.emulator.payment_methods import attach
from reconciler.emulator.subscriptions import change_subscription

if TYPE_CHECKING:
    from reconciler.emulator.state import Emulator
    from reconciler.emulator.store import StripeObject

LIVE = ("active", "trialing", "past_due", "unpaid")


def _feature(configuration: StripeObject, name: str) -> dict[str, Any]:
    feature: dict[str, Any] = configuration["features"].get(name) or {}
    return feature if feature.get("enabled") else {}


def _allowed_prices(emulator: Emulator, configuration: StripeObject) -> list[StripeObject]:
    update = _feature(configuration, "subscription_update")
    if "price" not in update.get("default_allowed_updates", []):
        return []
    listed = [price for product in update.get("products") or [] for price in product["prices"]]
    return [price for price in map(emulator.prices.get, listed) if price is not None]


def _price_label(emulator: Emulator, price: StripeObject) -> str:
    product = emulator.products.get(price["product"]) or {}
    recurring = price.get("recurring") or {}
    every = f" per {recurring['interval']}" if recurring else ""
    amount = money(price.get("unit_amount"), price["currency"])
    return " ".join(filter(None, [product.get("name"), price.get("nickname"), amount])) + every


def cancel_only(sub: StripeObject) -> str | None:
    """Why the portal can only cancel `sub` (Stripe's documented limitations), or None."""
    items = sub["items"]["data"]
    if len({item["price"]["product"] for item in items}) > 1:
        return "it has multiple products"
    if any(item["price"]["recurring"].get("usage_type") == "metered" for item in items):
        return "it has usage-based billing"
    return None


def _items(emulator: Emulator, sub: StripeObject) -> str:
    rows = "".join(
        f"<li class='item' data-price='{escape(item['price']['id'])}'>"
        f"<span class='price'>{escape(_price_label(emulator, item['price']))}</span>"
        f" &times; <strong class='quantity'>{item['quantity']}</strong></li>"
        for item in sub["items"]["data"]
    )
    return f"<ul class='items'>{rows}</ul>"


def _subscription_section(
    emulator: Emulator, session_id: str, configuration: StripeObject, sub: StripeObject
) -> str:
    item = sub["items"]["data"][0]
    action = f"/billing_portal/{session_id}"
    lines = [
        f"<section id='{escape(sub['id'])}'>",
        f"<h2>{escape(_price_label(emulator, item['price']))}</h2>",
        _items(emulator, sub),
        f"<p>Status <strong class='status'>{escape(sub['status'])}</strong>"
        + (
            " <strong class='cancels'>cancels at the end of the period</strong>"
            if sub["cancel_at_period_end"]
            else ""
        )
        + "</p>",
    ]
    update = _feature(configuration, "subscription_update")
    allowed = update.get("default_allowed_updates", [])
    reason = cancel_only(sub)
    if update and reason:
        lines.append(f"<p class='cancel-only'>Only cancelling is possible here: {reason}.</p>")
        allowed = []
    fields = []
    if "price" in allowed:
        options = "".join(
            f"<option value='{escape(price['id'])}'"
            + (" selected" if price["id"] == item["price"]["id"] else "")
            + f">{escape(_price_label(emulator, price))}</option>"
            for price in _allowed_prices(emulator, configuration)
        )
        fields.append(f"<label>Plan <select name='price'>{options}</select></label>")
    if "quantity" in allowed:
        fields.append(
            f"<label>Quantity <input name='quantity' type='number' min='1' "
            f"value='{item['quantity']}'></label>"
        )
    hidden = f"<input type='hidden' name='subscription' value='{escape(sub['id'])}'>"
    if fields:
        lines.append(
            f"<form method='post' action='{action}/update' class='update'>{hidden}"
            + "".join(fields)
            + "<button type='submit'>Update plan</button></form>"
        )
    if _feature(configuration, "subscription_cancel"):
        verb, label = (
            ("renew", "Don't cancel") if sub["cancel_at_period_end"] else ("cancel", "Cancel plan")
        )
        lines.append(
            f"<form method='post' action='{action}/{verb}' class='{verb}'>{hidden}"
            f"<button type='submit'>{label}</button></form>"
        )
    lines.append("</section>")
    return "\n".join(lines)


def _page(
    emulator: Emulator,
    session: StripeObject,
    configuration: StripeObject,
    error: str = "",
    status: int = 200,
) -> Page:
    customer = emulator.require("customers", session["customer"])
    method_id = customer["invoice_settings"]["default_payment_method"]
    method = emulator.payment_methods.get(method_id) if method_id else None
    card = f"{method['card']['brand']} •••• {method['card']['last4']}" if method else "none"
    who = escape(customer["email"] or customer["id"])
    parts = [f"<p>Signed in as <strong id='customer'>{who}</strong></p>"]
    if error:
        parts.append(f"<p class='error' id='error'>{escape(error)}</p>")
    subscriptions = [
        sub
        for sub in emulator.subscriptions.values()
        if sub["customer"] == customer["id"] and sub["status"] in LIVE
    ]
    parts.extend(
        _subscription_section(emulator, session["id"], configuration, sub) for sub in subscriptions
    )
    parts.append(f"<section><h2>Payment method</h2><p id='card'>{escape(card)}</p>")
    if _feature(configuration, "payment_method_update"):
        parts.append(
            f"<form method='post' action='/billing_portal/{escape(session['id'])}/payment_method'"
            " id='payment-method'><label>Card number <input name='card' id='card-number' "
            "inputmode='numeric' autocomplete='off'></label>"
            "<button type='submit'>Update card</button></form>"
        )
    parts.append("</section>")
    back = session["return_url"] or configuration.get("default_return_url")
    if back:
        parts.append(f"<p><a id='return' href='{escape(back)}'>← Return</a></p>")
    return render("Billing Portal", "\n".join(parts), status)


def configuration_of(emulator: Emulator, session: StripeObject) -> StripeObject:
    """The portal configuration the session was created with."""
    return emulator.require("portal_configurations", session["configuration"], "configuration")


class Refused(Exception):
    """An action the portal configuration does not grant (403)."""


def _subscription(emulator: Emulator, customer_id: str, form: dict[str, str]) -> StripeObject:
    sub = emulator.subscriptions.get(form.get("subscription", ""))
    if sub is None or sub["customer"] != customer_id or sub["status"] not in LIVE:
        raise StripeError(404, "No such subscription for this customer.")
    return sub


def _update(
    emulator: Emulator, configuration: StripeObject, sub: StripeObject, form: dict[str, str]
) -> None:
    update = _feature(configuration, "subscription_update")
    if not update:
        raise Refused("This portal does not allow changing plans.")
    reason = cancel_only(sub)
    if reason:
        raise Refused(f"This portal can only cancel this subscription: {reason}.")
    allowed = update.get("default_allowed_updates", [])
    item = sub["items"]["data"][0]
    change: dict[str, Any] = {"id": item["id"]}
    if form.get("price") and form["price"] != item["price"]["id"]:
        if form["price"] not in {p["id"] for p in _allowed_prices(emulator, configuration)}:
            raise Refused("This portal does not offer that price.")
        change["price"] = form["price"]
    if form.get("quantity") and as_int(form["quantity"], "quantity") != item["quantity"]:
        if "quantity" not in allowed:
            raise Refused("This portal does not allow changing the quantity.")
        if as_int(form["quantity"], "quantity") < 1:
            raise StripeError(400, "The quantity must be at least 1.")
        change["quantity"] = form["quantity"]
    if len(change) > 1:
        params: dict[str, Any] = {"items": [change]}
        if sub["status"] == "trialing":
            # "Customer modifications to a trialing subscription will end the free trial and
            # create an invoice for immediate payment" (customer-management, limitations).
            params["trial_end"] = "now"
        change_subscription(emulator, sub, params, None)


def _cancel(
    emulator: Emulator, configuration: StripeObject, sub: StripeObject, renew: bool
) -> None:
    cancel = _feature(configuration, "subscription_cancel")
    if not cancel:
        raise Refused("This portal does not allow cancelling.")
    if renew:
        change_subscription(emulator, sub, {"cancel_at_period_end": "false"}, None)
    elif cancel.get("mode") == "immediately":
        sub["canceled_at"] = emulator.clock.now()
        end_subscription(emulator, sub, None)
    else:
        change_subscription(emulator, sub, {"cancel_at_period_end": "true"}, None)


def _new_card(
    emulator: Emulator, configuration: StripeObject, customer: StripeObject, form: dict[str, str]
) -> None:
    if not _feature(configuration, "payment_method_update"):
        raise Refused("This portal does not allow updating the payment method.")
    token = card_token(form.get("card", ""))
    if token is None:
        raise StripeError(400, INVALID_NUMBER)
    method = attach(emulator, token, customer, None)
    before = dict(customer)
    customer["invoice_settings"] = {
        **customer["invoice_settings"],
        "default_payment_method": method["id"],
    }
    emit(emulator, "customer.updated", customer, None, before)
    for sub in list(emulator.subscriptions.values()):
        if (
            sub["customer"] == customer["id"]
            and sub["status"] in LIVE
            and sub["default_payment_method"]
        ):
            change_subscription(emulator, sub, {"default_payment_method": method["id"]}, None)


def answer(
    emulator: Emulator, session_id: str, method: str, action: str, form: dict[str, str]
) -> Page:
    """GET shows the portal; POST runs one action the configuration grants."""
    session = emulator.require("portal_sessions", session_id)
    configuration = configuration_of(emulator, session)
    if method != "POST":
        return _page(emulator, session, configuration)
    customer = emulator.require("customers", session["customer"])
    try:
        if action == "payment_method":
            _new_card(emulator, configuration, customer, form)
        elif action in ("update", "cancel", "renew"):
            sub = _subscription(emulator, customer["id"], form)
            if action == "update":
                _update(emulator, configuration, sub, form)
            else:
                _cancel(emulator, configuration, sub, renew=action == "renew")
        else:
            return render("Not found", "<p>No such portal action.</p>", 404)
    except Refused as refused:
        return _page(emulator, session, configuration, str(refused), 403)
    except StripeError as error:
        return _page(emulator, session, configuration, error.message, error.status)
    return redirect(emulator.url(f"/billing_portal/{session_id}"))
