"""The parameters `POST /v1/checkout/sessions` and its list take, as the installed SDK's
`stripe/params/checkout/` types declare them for the pinned API version: each one either
modelled by `checkout.py` or refused as not modelled, never silently ignored.
"""

from __future__ import annotations

from typing import Any

from reconciler.emulator.errors import StripeError
from reconciler.emulator.forms import FREE, METADATA, SCALAR, STRINGS, not_modelled
from reconciler.emulator.listing import LIST_PARAMS

# API 2026-03-25.dahlia renamed `hosted`, `embedded` and `custom` (changelog: "Updates
# Checkout Session UI mode enum values"); setting one of the old values fails.
UI_MODES = ("elements", "embedded_page", "form", "hosted_page")
# Fields of the session the pinned version always answers (nullable in stripe-node
# 23.1.0's `Checkout.Session`, docs: api/checkout/sessions/object) for features the emulator
# does not have: null.
NULL_FIELDS: dict[str, None] = dict.fromkeys(
    (
        "currency_conversion",
        "customer_account",
        "integration_identifier",
        "managed_payments",
        "origin_context",
        "permissions",
        "wallet_options",
    )
)

LINE_ITEM: dict[str, Any] = {
    "price": SCALAR,
    "quantity": SCALAR,
    "adjustable_quantity": FREE,
    **not_modelled("metadata", "price_data", "tax_rates"),
}
SUBSCRIPTION_DATA: dict[str, Any] = {
    "trial_period_days": SCALAR,
    "trial_settings": {"end_behavior": {"missing_payment_method": SCALAR}},
    "metadata": METADATA,
    "description": SCALAR,
    **not_modelled(
        "application_fee_percent",
        "billing_cycle_anchor",
        "billing_cycle_anchor_config",
        "billing_mode",
        "default_tax_rates",
        "invoice_settings",
        "on_behalf_of",
        "pending_invoice_item_interval",
        "proration_behavior",
        "transfer_data",
        "trial_end",
    ),
}
# API 2026-09-30.endive removed `payment_method_types`: it is now an unknown parameter.
CREATE: dict[str, Any] = {
    "mode": SCALAR,
    "customer": SCALAR,
    "customer_email": SCALAR,
    "line_items": [LINE_ITEM],
    "success_url": SCALAR,
    "cancel_url": SCALAR,
    "client_reference_id": SCALAR,
    "metadata": METADATA,
    "allow_promotion_codes": SCALAR,
    "allowed_payment_method_types": STRINGS,
    "excluded_payment_method_types": STRINGS,
    "automatic_tax": {"enabled": SCALAR, "liability": {"type": SCALAR, "account": SCALAR}},
    "subscription_data": SUBSCRIPTION_DATA,
    "billing_address_collection": SCALAR,
    "locale": SCALAR,
    "ui_mode": SCALAR,
    "customer_creation": SCALAR,
    "expires_at": SCALAR,
    "expand": STRINGS,
    **not_modelled(
        "adaptive_pricing",
        "after_expiration",
        "branding_settings",
        "consent_collection",
        "currency",
        "custom_fields",
        "custom_text",
        "customer_account",
        "customer_update",
        "discounts",
        "integration_identifier",
        "invoice_creation",
        "managed_payments",
        "name_collection",
        "optional_items",
        "origin_context",
        "payment_intent_data",
        "payment_method_collection",
        "payment_method_configuration",
        "payment_method_data",
        "payment_method_options",
        "permissions",
        "phone_number_collection",
        "redirect_on_completion",
        "return_url",
        "saved_payment_method_options",
        "setup_intent_data",
        "shipping_address_collection",
        "shipping_options",
        "submit_type",
        "tax_id_collection",
        "wallet_options",
    ),
}
LIST: dict[str, Any] = {
    **LIST_PARAMS,
    "customer": SCALAR,
    "subscription": SCALAR,
    "status": SCALAR,
    "payment_intent": SCALAR,
    "created": FREE,
    **not_modelled("customer_account", "customer_details", "payment_link"),
}


def ui_mode(params: dict[str, Any]) -> str:
    """The session's `ui_mode`: `hosted_page` unless given, one of UI_MODES."""
    mode = str(params.get("ui_mode", "hosted_page"))
    if mode not in UI_MODES:
        # Stripe's usual wording for a value outside an enum.
        choices = ", ".join(UI_MODES[:-1]) + f", or {UI_MODES[-1]}"
        raise StripeError(400, f"Invalid ui_mode: must be one of {choices}", param="ui_mode")
    return mode
