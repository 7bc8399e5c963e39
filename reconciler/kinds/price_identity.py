"""What tells prices apart beyond their fields: the key a price without lookup key gets from
its product and terms, and whether a price predates the current API model (legacy).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.kinds.identity import Candidate


def is_legacy(raw: Mapping[str, Any]) -> bool:
    """Whether Stripe's answer is a price from before the current API model: made through
    the Plans API (an id not starting `price_`: `plan_...` or one the user chose), or a legacy
    usage-based price, "a price with a usage_type of metered without a specified meter" (with
    `aggregate_usage`, removed from every endpoint by 2025-03-31.basil:
    docs.stripe.com/changelog/basil/2025-03-31/deprecate-legacy-usage-based-billing)."""
    recurring = raw.get("recurring")
    if not isinstance(recurring, Mapping):
        recurring = {}
    metered = recurring.get("usage_type") == "metered" and not recurring.get("meter")
    aggregate = recurring.get("aggregate_usage") is not None
    return not str(raw.get("id", "")).startswith("price_") or metered or aggregate


CADENCES = {"day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}


def terms_key(candidate: Candidate) -> str:
    """A price's key from its product's key and its terms: `<product>-<cadence>-<currency>-
    <amount>`, e.g. `pro-monthly-usd-4900`, `pro-every-3-months-eur-graduated`,
    `api-monthly-usd-metered-0.5`, `tip-one-time-usd-custom` (amounts in minor units)."""
    terms = candidate.terms
    recurring = terms.get("recurring")
    parts = [candidate.parent or "price"]
    if isinstance(recurring, Mapping):
        interval = str(recurring.get("interval"))
        count = int(recurring.get("interval_count") or 1)
        cadence = CADENCES.get(interval, interval) if count == 1 else f"every-{count}-{interval}s"
        parts.append(cadence)
    else:
        parts.append("one-time")
    parts.append(str(terms.get("currency") or "xxx"))
    if isinstance(recurring, Mapping) and recurring.get("usage_type") == "metered":
        parts.append("metered")
    if terms.get("tiers"):
        parts.append(str(terms.get("tiers_mode") or "tiered"))
    elif terms.get("custom_unit_amount"):
        parts.append("custom")
    elif terms.get("unit_amount") is not None:
        parts.append(str(terms["unit_amount"]))
    return "-".join(parts)
