"""reconciler: Stripe billing as code.

Plan files in git are validated (`reconciler.plans`), reconciled with Stripe, and answered at
run time by `Billing`. Heavy parts are imported on first use so the CLI starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reconciler.errors import ReconcilerError

if TYPE_CHECKING:  # the real types for type checkers, which never call __getattr__
    from reconciler.errors import LimitExceeded, StoreUnavailable
    from reconciler.runtime.billing import Billing

# Public names served lazily: importing `reconciler` must not pull in redis or stripe.
_LAZY = {
    "Billing": "reconciler.runtime.billing",
    "LimitExceeded": "reconciler.errors",
    "OutcomeUnknown": "reconciler.errors",
    "StoreUnavailable": "reconciler.errors",
}

__all__ = ["Billing", "LimitExceeded", "OutcomeUnknown", "ReconcilerError", "StoreUnavailable"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'reconciler' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
