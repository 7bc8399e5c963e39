"""The project's exception hierarchy: library code raises these, only the CLI prints them."""

from __future__ import annotations


class ReconcilerError(Exception):
    """Root of every error this project raises on purpose."""


class PlanError(ReconcilerError):
    """The plan files could not be read (missing folder, no plans, unreadable file)."""


class StripeCallError(ReconcilerError):
    """A Stripe request failed; keeps Stripe's request id for support tickets and its error
    code (`resource_missing`, ...) for callers that decide on it."""

    def __init__(
        self, message: str, request_id: str | None = None, code: str | None = None
    ) -> None:
        suffix = f" (request id {request_id})" if request_id else ""
        super().__init__(f"{message}{suffix}")
        self.request_id = request_id
        self.code = code


class LiveKeyRefused(ReconcilerError):
    """A live-mode key was given without the flag that confirms writing in live mode."""


class StoreUnavailable(ReconcilerError):
    """The runtime store (Redis or the embedded SQLite file) could not be reached; the call
    changed nothing (except its subclass `OutcomeUnknown`)."""


class OutcomeUnknown(StoreUnavailable):
    """The store failed after a write may have reached it (a timeout waiting for the
    answer): it may or may not have been applied. Retrying with the same `op_id` applies it
    at most once."""

    def __init__(self, message: str, op_id: str) -> None:
        super().__init__(message)
        self.op_id = op_id


class LimitExceeded(ReconcilerError):
    """A `consume` call would push usage past the entity's limit for this billing period."""

    def __init__(self, counter: str, used: int, limit: int, amount: int = 1) -> None:
        super().__init__(
            f"limit {counter!r} exceeded: {used} of {limit} used, {amount} more requested"
        )
        self.counter = counter
        self.used = used
        self.limit = limit
        self.amount = amount


class NoCustomer(ReconcilerError):
    """The entity has no Stripe customer yet (call `create_stripe_customer` first)."""


class PortalNotConfigured(ReconcilerError):
    """Stripe refused a Billing Portal session: the account has no default portal
    configuration and none was named. The message says how to make one."""


class WebhookRejected(ReconcilerError):
    """A webhook's body or signature was refused; nothing was written."""


class PlanRefused(ReconcilerError):
    """`apply` would not run this plan: another fingerprint than the reviewed one, the
    safety rail, or a live key without --yes."""


class ApplyFailed(ReconcilerError):
    """A write failed part-way through `apply`; `applied`, `partial` and `pending` name the
    changes (by key) fully, partly and not applied. Running `apply` again converges."""

    def __init__(
        self,
        message: str,
        applied: tuple[str, ...],
        partial: tuple[str, ...],
        pending: tuple[str, ...],
    ) -> None:
        super().__init__(message)
        self.applied = applied
        self.partial = partial
        self.pending = pending
