"""Model values from typed arguments, through the declarations (for tests, benchmarks and code
that builds a catalog in Python rather than from plan files).

`new_price(lookup_key="pro", currency="usd", unit_amount=Decimal(4900))` is the price a plan
file with `amount: 4900` declares: the arguments are turned into plan-file values and read by
the price declaration, so both paths give the same terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from reconciler.kinds.price import PRICE
from reconciler.kinds.product import PRODUCT
from reconciler.model import FeatureValue, LimitValue, Price, Product, Recurring, Tier

# Model attribute names that differ from the plan-file key.
_PLAN_KEYS = {"unit_amount": "amount"}


def _plan_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Recurring):
        return asdict(value)
    if isinstance(value, Tier):
        tier = {k: _plan_value(v) for k, v in asdict(value).items() if v is not None}
        return {**tier, "up_to": "inf" if value.up_to is None else value.up_to}
    if isinstance(value, tuple | list):
        return [_plan_value(v) for v in value]
    return value


def new_price(
    lookup_key: str,
    limits: Mapping[str, LimitValue] | None = None,
    features: Mapping[str, FeatureValue] | None = None,
    metadata: Mapping[str, str] | None = None,
    trial_days: int | None = None,
    **fields: Any,
) -> Price:
    """A price whose Stripe fields are given as model values or plan-file values."""
    document = {"lookup_key": lookup_key}
    for name, value in fields.items():
        if value is not None and value != ():
            document[_PLAN_KEYS.get(name, name)] = _plan_value(value)
    return Price(
        terms=PRICE.from_plan(document),
        limits=dict(limits or {}),
        features=dict(features or {}),
        metadata=dict(metadata or {}),
        trial_days=trial_days,
    )


def new_product(key: str, name: str, **fields: Any) -> Product:
    """A product with the Stripe fields in `fields` (its other attributes pass through)."""
    stripe_keys = {f.key for f in PRODUCT.fields}
    document = {"name": name, **{k: v for k, v in fields.items() if k in stripe_keys}}
    rest = {k: v for k, v in fields.items() if k not in stripe_keys}
    return Product(key=key, terms=PRODUCT.from_plan(document), **rest)
