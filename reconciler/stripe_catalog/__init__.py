"""The Stripe catalog boundary: the only code that calls the SDK for products and prices.

Objects are normalized here to the plan model (`live.py`); nothing past this package sees a
StripeObject. Reads page through list endpoints (`read.py`), writes carry idempotency keys
(`write.py`), and a price's subscriptions are counted and moved in `subscriptions.py`. Every
call goes through the project's one retry policy (`reconciler.retry`).
"""

from reconciler.stripe_catalog.live import (
    LiveCatalog,
    LiveObject,
    LivePrice,
    LiveProduct,
    normalize_price,
    normalize_product,
)
from reconciler.stripe_catalog.objects import (
    Resolve,
    create_object,
    retire_object,
    update_object,
)
from reconciler.stripe_catalog.paging import PAGE_SIZE, Progress, list_all
from reconciler.stripe_catalog.read import read_live_catalog, read_price
from reconciler.stripe_catalog.read_objects import read_live_objects
from reconciler.stripe_catalog.subscriptions import (
    ENTITLED_STATUSES,
    PAYING_STATUSES,
    SubscriptionItemRef,
    move_subscription_item,
    subscriber_counts,
    subscription_items,
)
from reconciler.stripe_catalog.write import (
    archive,
    create_price,
    create_product,
    set_default_price,
    update_price,
    update_product,
)

__all__ = [
    "ENTITLED_STATUSES",
    "PAGE_SIZE",
    "PAYING_STATUSES",
    "LiveCatalog",
    "LiveObject",
    "LivePrice",
    "LiveProduct",
    "Progress",
    "Resolve",
    "SubscriptionItemRef",
    "archive",
    "create_object",
    "create_price",
    "create_product",
    "list_all",
    "move_subscription_item",
    "normalize_price",
    "normalize_product",
    "read_live_catalog",
    "read_live_objects",
    "read_price",
    "retire_object",
    "set_default_price",
    "subscriber_counts",
    "subscription_items",
    "update_object",
    "update_price",
    "update_product",
]
