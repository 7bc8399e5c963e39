"""Stripe object kinds, each declared once with its fields (see `kind.py`).

Importing this package registers the built-in kinds; a new kind (meter, feature, coupon,
promotion code, portal configuration) is one module declaring a `Kind` and registering it
with `register_kind`, imported here.
"""

from reconciler.kinds.field import Codec, Field, Mutability, amount_text
from reconciler.kinds.kind import KINDS, Kind, Lost, PlanKey, Terms, register_kind
from reconciler.kinds.price import PRICE
from reconciler.kinds.product import PRODUCT

__all__ = [
    "KINDS",
    "PRICE",
    "PRODUCT",
    "Codec",
    "Field",
    "Kind",
    "Lost",
    "Mutability",
    "PlanKey",
    "Terms",
    "amount_text",
    "register_kind",
]
