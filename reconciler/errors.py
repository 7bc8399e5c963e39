"""The project's exception hierarchy: library code raises these, only the CLI prints them."""

from __future__ import annotations


class ReconcilerError(Exception):
    """Root of every error this project raises on purpose."""


class PlanError(ReconcilerError):
    """The plan files could not be read (missing folder, no plans, unreadable file)."""


class StripeCallError(ReconcilerError):
    """A Stripe request failed; keeps Stripe's request id for support tickets."""

    def __init__(self, message: str, request_id: str | None = None) -> None:
        suffix = f" (request id {request_id})" if request_id else ""
        super().__init__(f"{message}{suffix}")
        self.request_id = request_id


class LiveKeyRefused(ReconcilerError):
    """A live-mode key was given where only a test key is allowed."""
