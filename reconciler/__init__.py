"""reconciler: Stripe billing as code.

Plan files in git are validated (`reconciler.plans`), reconciled with Stripe, and answered at
run time by `Billing`. Heavy parts are imported on first use so the CLI starts fast.
"""

from __future__ import annotations

from reconciler.errors import ReconcilerError

__all__ = ["ReconcilerError"]
