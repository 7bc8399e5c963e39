"""Invoices for subscriptions: building them, paying them, and their endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.events import emit
from reconciler.emulator.forms import FREE, SCALAR, not_modelled
from reconciler.emulator.listing import (
    EXPAND_ONLY,
    LIST_PARAMS,
    fields_equal,
    list_answer,
    retriever,
)
from reconciler.emulator.payment_methods import charge_succeeds
from reconciler.emulator.periods import line_amount
from reconciler.emulator.store import StripeObject, new_id

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator


def _lines(
    emulator: Emulator, invoice_id: str, subscription: StripeObject, trial: bool
) -> list[StripeObject]:
    lines = []
    for item in subscription["items"]["data"]:
        price = item["price"]
        amount = (
            0
            if trial
            else line_amount(price, emulator.price_tiers.get(price["id"], []), item["quantity"])
        )
        lines.append(
            {
                "id": new_id("il_"),
                "object": "line_item",
                "amount": amount,
                "currency": price["currency"],
                "description": f"{item['quantity']} \u00d7 {price['product']}"
                + (" (trial)" if trial else ""),
                "discount_amounts": [],
                "discountable": True,
                "discounts": [],
                "invoice": invoice_id,
                "livemode": False,
                "metadata": {},
                "parent": {
                    "type": "subscription_item_details",
                    "invoice_item_details": None,
                    "subscription_item_details": {
                        "invoice_item": None,
                        "proration": False,
                        "proration_details": {"credited_items": None},
                        "subscription": subscription["id"],
                        "subscription_item": item["id"],
                    },
                },
                "period": {
                    "start": item["current_period_start"],
                    "end": item["current_period_end"],
                },
                "pretax_credit_amounts": [],
                "pricing": {
                    "type": "price_details",
                    "price_details": {"price": price["id"], "product": price["product"]},
                    "unit_amount_decimal": price["unit_amount_decimal"],
                },
                "quantity": item["quantity"],
                # The same quantity as a decimal string (api/invoice-line-item/object).
                "quantity_decimal": str(item["quantity"]),
                "subscription": subscription["id"],
                "subtotal": amount,
                "taxes": [],
            }
        )
    return lines


def _unmodelled_fields() -> dict[str, Any]:
    """Fields the pinned version always answers on an invoice (stripe-node 23.1.0's
    `Invoice`; docs: api/invoices/object) for what the emulator does not have (tax, credit
    notes, balances, shipping, Connect): their empty values."""
    return {
        **dict.fromkeys(
            (
                "account_tax_ids",
                "application",
                "automatically_finalizes_at",
                "custom_fields",
                "customer_account",
                "customer_address",
                "customer_phone",
                "customer_shipping",
                "default_source",
                "footer",
                "from_invoice",
                "last_finalization_error",
                "latest_revision",
                "on_behalf_of",
                "receipt_number",
                "rendering",
                "shipping_cost",
                "shipping_details",
                "statement_descriptor",
                "webhooks_delivered_at",
            )
        ),
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "customer_tax_exempt": "none",
        "default_tax_rates": [],
        "ending_balance": 0,
        "issuer": {"type": "self"},
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "starting_balance": 0,
        "total_pretax_credit_amounts": [],
    }


def create_invoice(
    emulator: Emulator,
    subscription: StripeObject,
    reason: str,
    call: Call | None,
    trial: bool = False,
) -> StripeObject:
    """A finalized invoice for the subscription's current period (events included)."""
    customer = emulator.customers.get(subscription["customer"]) or {}
    invoice_id = new_id("in_")
    lines = _lines(emulator, invoice_id, subscription, trial)
    total = sum(line["amount"] for line in lines)
    now = emulator.clock.now()
    first = subscription["items"]["data"][0]
    invoice: StripeObject = {
        "id": invoice_id,
        "object": "invoice",
        **_unmodelled_fields(),
        "account_country": "US",
        "account_name": None,
        "amount_due": total,
        "amount_paid": 0,
        "amount_overpaid": 0,
        "amount_remaining": total,
        "amount_shipping": 0,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "billing_reason": reason,
        "collection_method": "charge_automatically",
        "created": now,
        "currency": subscription["currency"],
        "customer": subscription["customer"],
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "default_payment_method": None,
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": now,
        "hosted_invoice_url": emulator.url(f"/invoices/{invoice_id}"),
        "invoice_pdf": None,
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": f"{customer.get('invoice_prefix', 'EMU')}-{len(emulator.invoices) + 1:04d}",
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription["metadata"]),
                "subscription": subscription["id"],
            },
        },
        "period_end": first["current_period_start"],
        "period_start": first["current_period_start"],
        "status": "open",
        "status_transitions": {
            "finalized_at": now,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_taxes": [],
        "test_clock": None,
    }
    emulator.invoices.add(invoice)
    subscription["latest_invoice"] = invoice_id
    emit(emulator, "invoice.created", invoice, call)
    emit(emulator, "invoice.finalized", invoice, call)
    return invoice


def collect(
    emulator: Emulator, invoice: StripeObject, payment_method_id: str | None, call: Call | None
) -> bool:
    """Charge the invoice: paid (with events) or a failed attempt. Returns success."""
    before = dict(invoice)
    method = emulator.payment_methods.get(payment_method_id) if payment_method_id else None
    if invoice["amount_due"] > 0:
        invoice["attempt_count"] += 1
        invoice["attempted"] = True
        if not charge_succeeds(method):
            invoice["next_payment_attempt"] = None
            emit(emulator, "invoice.payment_failed", invoice, call, before)
            return False
    invoice.update(
        {
            "amount_paid": invoice["amount_due"],
            "amount_remaining": 0,
            "attempted": True,
            "default_payment_method": payment_method_id,
            "status": "paid",
            "status_transitions": {
                **invoice["status_transitions"],
                "paid_at": emulator.clock.now(),
            },
        }
    )
    emit(emulator, "invoice.paid", invoice, call, before)
    emit(emulator, "invoice.payment_succeeded", invoice, call, before)
    return True


def list_invoices(emulator: Emulator, call: Call) -> Any:
    params = call.params
    plain = fields_equal(params, ("customer", "status"))
    wanted = params.get("subscription")

    def filters(invoice: StripeObject) -> bool:
        # Since 2025-03-31.basil an invoice names its subscription under `parent`
        # (changelog: "Adds parent field to invoices"); it has no top-level `subscription`.
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        return plain(invoice) and (wanted is None or details.get("subscription") == wanted)

    return list_answer(emulator.invoices, params, "/v1/invoices", "invoice", filters)


def register(router: Router) -> None:
    listed = {
        **LIST_PARAMS,
        "customer": SCALAR,
        "subscription": SCALAR,
        "status": SCALAR,
        "created": FREE,
        "collection_method": SCALAR,
        **not_modelled("customer_account", "due_date"),
    }
    router.add("GET", "/v1/invoices", list_invoices, params=listed, sdk="InvoiceListParams")
    router.add(
        "GET",
        "/v1/invoices/:id",
        retriever("invoices"),
        params=EXPAND_ONLY,
        sdk="InvoiceRetrieveParams",
    )
