"""Stripe object kinds, each declared once with its fields (see `kind.py`).

Importing this package registers the built-in kinds; a new kind (meter, feature, coupon,
promotion code, portal configuration) is one module declaring a `Kind` and registering it
with `register_kind`, imported here.
"""

from reconciler.kinds.coupon import COUPON, PROMOTION_CODE
from reconciler.kinds.feature import FEATURE, PRODUCT_FEATURE
from reconciler.kinds.field import Codec, Field, Mutability, amount_text
from reconciler.kinds.kind import KINDS, Kind, Lost, PlanKey, Terms, register_kind
from reconciler.kinds.meter import METER
from reconciler.kinds.portal import PORTAL_CONFIGURATION
from reconciler.kinds.price import PRICE
from reconciler.kinds.product import PRODUCT

__all__ = [
    "COUPON",
    "FEATURE",
    "KINDS",
    "METER",
    "PORTAL_CONFIGURATION",
    "PRICE",
    "PRODUCT",
    "PRODUCT_FEATURE",
    "PROMOTION_CODE",
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
