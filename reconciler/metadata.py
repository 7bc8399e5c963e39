"""The one place that turns limits and features into Stripe metadata strings and back.

Stripe stores every metadata value as a string. The seed library kept only values whose type
was a number and so silently fell back to defaults for everything read from Stripe; here every
value is parsed, and a value that cannot be parsed is an error, not a default.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.model import (
    RESETS,
    UNLIMITED,
    Config,
    FeatureValue,
    Limit,
    LimitSpec,
    LimitValue,
    Price,
    Product,
    limit_spec,
)

# Ownership marker on every product and price the tool creates or adopts.
MANAGED_BY_KEY = "managed-by"
MANAGED_BY_VALUE = "reconciler"
# The product's stable key, the same in test and live accounts.
PRODUCT_KEY_KEY = "plan-key"
# A price's default trial, read by Checkout (Stripe's own price-level trial is deprecated).
TRIAL_DAYS_KEY = "trial-days"
# On a product: it is an add-on (its limits add to a base plan's), written only when true.
ADD_ON_KEY = "add-on"
# On a product, with `stripe_entitlements`: the Entitlements features the tool last attached to
# it (see `attachment_marker`), so a diff reads a product's attachments only when it changed.
ATTACHED_FEATURES_KEY = "entitlement-features"
# On an object whose plan file chose its id (a coupon's `id:`): that id, so `import` writes it
# back even when it has the shape of the ids Stripe generates (`SUMMER24`).
CHOSEN_ID_KEY = "chosen-id"
RESERVED_KEYS = frozenset(
    {MANAGED_BY_KEY, PRODUCT_KEY_KEY, TRIAL_DAYS_KEY, ATTACHED_FEATURES_KEY, CHOSEN_ID_KEY}
)
# Stripe's limit on one metadata value (docs.stripe.com/metadata).
METADATA_VALUE_MAX = 500

_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+")


def _plain_limit(value: LimitValue) -> str:
    return "unlimited" if value is UNLIMITED else str(value)


def format_limit(value: LimitSpec) -> str:
    """A limit as one metadata value. A plain value stays plain (`1000`, `unlimited`); the
    richer forms are `;`-separated `name=value` pairs, amount first: `per_unit=10`,
    `value=10000;reset=month`, `value=10000;meter=api_requests` (under 200 characters, since
    a meter's event name is at most 100)."""
    if not isinstance(value, Limit):
        return _plain_limit(value)
    parts = [f"{'per_unit' if value.per_unit else 'value'}={_plain_limit(value.value)}"]
    if value.reset != "billing_period":
        parts.append(f"reset={value.reset}")
    if value.meter is not None:
        parts.append(f"meter={value.meter}")
    return ";".join(parts)


def _parse_plain_limit(text: str) -> LimitValue:
    stripped = text.strip()
    if stripped.lower() == "unlimited":
        return UNLIMITED
    if _INT.fullmatch(stripped) and not stripped.startswith("-"):
        return int(stripped)
    raise ValueError(f"limit value {text!r} is not a non-negative integer or 'unlimited'")


def parse_limit(text: str) -> LimitSpec:
    """The inverse of `format_limit`: `"1000"` -> 1000, `"unlimited"` -> UNLIMITED,
    `"per_unit=10;reset=month"` -> `Limit(10, per_unit=True, reset="month")`; anything else
    raises ValueError."""
    if "=" not in text:
        return _parse_plain_limit(text)
    fields: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if not sep or name.strip() in fields:
            raise ValueError(f"limit value {text!r}: {part!r} is not one name=value pair")
        fields[name.strip()] = value.strip()
    unknown = sorted(fields.keys() - {"value", "per_unit", "reset", "meter"})
    if unknown:
        raise ValueError(f"limit value {text!r}: unknown part {unknown[0]!r}")
    if ("value" in fields) == ("per_unit" in fields):
        raise ValueError(f"limit value {text!r} needs exactly one of value= or per_unit=")
    reset = fields.get("reset", "billing_period")
    if reset not in RESETS:
        raise ValueError(f"limit value {text!r}: reset must be one of {', '.join(RESETS)}")
    meter = fields.get("meter")
    if meter == "":
        raise ValueError(f"limit value {text!r}: meter= needs a meter's event name")
    amount = _parse_plain_limit(fields.get("value", fields.get("per_unit", "")))
    return limit_spec(Limit(amount, "per_unit" in fields, reset, meter))


def format_feature(value: FeatureValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_feature(text: str) -> FeatureValue:
    """`"true"`/`"false"` -> bool, integers and decimals -> numbers, anything else stays text."""
    if text in ("true", "false"):
        return text == "true"
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


def reads_back_differently(value: str) -> bool:
    """True for a text feature that Stripe would hand back as a boolean or a number."""
    return parse_feature(value) != value


@dataclass(frozen=True)
class ParsedMetadata:
    """Price metadata split into limits, features and the rest (the marker excluded)."""

    limits: dict[str, LimitSpec]
    features: dict[str, FeatureValue]
    other: dict[str, str]
    managed: bool
    errors: tuple[str, ...]
    trial_days: int | None = None


def price_metadata(price: Price, config: Config) -> dict[str, str]:
    """Everything a declared price pushes to Stripe's metadata."""
    out = dict(price.metadata)
    out.update({config.limits_prefix + k: format_limit(v) for k, v in price.limits.items()})
    out.update({config.features_prefix + k: format_feature(v) for k, v in price.features.items()})
    if price.trial_days is not None:
        out[TRIAL_DAYS_KEY] = str(price.trial_days)
    out[MANAGED_BY_KEY] = MANAGED_BY_VALUE
    return out


def product_metadata(product: Product) -> dict[str, str]:
    """Everything a declared product pushes to Stripe's metadata."""
    out = dict(product.metadata)
    out[PRODUCT_KEY_KEY] = product.key
    out[MANAGED_BY_KEY] = MANAGED_BY_VALUE
    if product.add_on:
        out[ADD_ON_KEY] = "true"
    if product.entitlement_features:
        out[ATTACHED_FEATURES_KEY] = attachment_marker(product.entitlement_features)
    return out


def attachment_marker(lookup_keys: Iterable[str]) -> str:
    """The metadata value recording which Entitlements features are attached to a product:
    their lookup keys, sorted, joined by newlines (a lookup key may hold a comma but not a
    newline); when that exceeds Stripe's 500 characters, `sha256:` and the hex digest of it.
    An empty set has no marker (Stripe deletes a metadata key set to "")."""
    joined = "\n".join(sorted(set(lookup_keys)))
    if len(joined) <= METADATA_VALUE_MAX:
        return joined
    return "sha256:" + hashlib.sha256(joined.encode()).hexdigest()


def parse_price_metadata(metadata: Mapping[str, str], config: Config) -> ParsedMetadata:
    """Split Stripe price metadata; unparsable limits are reported in `errors`, never defaulted."""
    limits: dict[str, LimitSpec] = {}
    features: dict[str, FeatureValue] = {}
    other: dict[str, str] = {}
    errors: list[str] = []
    for key, value in metadata.items():
        if key.startswith(config.limits_prefix):
            name = key[len(config.limits_prefix) :]
            try:
                limits[name] = parse_limit(value)
            except ValueError as exc:
                errors.append(f"metadata {key!r}: {exc}")
        elif key.startswith(config.features_prefix):
            features[key[len(config.features_prefix) :]] = parse_feature(value)
        elif key not in RESERVED_KEYS:
            other[key] = value
    trial_days: int | None = None
    trial_text = metadata.get(TRIAL_DAYS_KEY)
    if trial_text is not None:
        if _INT.fullmatch(trial_text) and int(trial_text) > 0:
            trial_days = int(trial_text)
        else:
            errors.append(f"metadata {TRIAL_DAYS_KEY!r}: {trial_text!r} is not a positive integer")
    return ParsedMetadata(
        limits=limits,
        features=features,
        other=other,
        managed=metadata.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE,
        errors=tuple(errors),
        trial_days=trial_days,
    )


def with_default_limits(
    limits: Mapping[str, LimitSpec], defaults: Mapping[str, LimitSpec]
) -> dict[str, LimitSpec]:
    """The configured default for each limit a price does not set, as the seed library did."""
    return {**defaults, **limits}


def strip_prefix(name: str, prefix: str) -> str:
    """Names are taken with or without their metadata prefix (`limits:seats` or `seats`)."""
    return name[len(prefix) :] if name.startswith(prefix) else name
