"""Stripe's error envelope, raised by handlers and rendered by the server.

Handlers raise `StripeError`; the server turns it into the JSON body and status
code real Stripe would send, so SDK clients map it to the same exception class.
"""

from __future__ import annotations

from typing import Any

API_ERROR = "api_error"
CARD_ERROR = "card_error"
IDEMPOTENCY_ERROR = "idempotency_error"
INVALID_REQUEST = "invalid_request_error"


class StripeError(Exception):
    """An error answer: HTTP status plus the fields of Stripe's `error` object."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = INVALID_REQUEST,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code

    def envelope(self) -> dict[str, Any]:
        """The JSON body Stripe sends for this error."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        if self.decline_code is not None:
            error["decline_code"] = self.decline_code
        return {"error": error}

    @property
    def is_validation(self) -> bool:
        """True for parameter errors, which Stripe raises before an endpoint runs."""
        return self.code is not None and self.code.startswith("parameter_")


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    """404 for an unknown id, worded like Stripe: No such product: 'prod_x'."""
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def unknown_parameter(name: str) -> StripeError:
    return StripeError(
        400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name
    )


def missing_parameter(name: str) -> StripeError:
    return StripeError(
        400, f"Missing required param: {name}.", code="parameter_missing", param=name
    )


def invalid_value(name: str, message: str, code: str | None = None) -> StripeError:
    return StripeError(400, message, code=code, param=name)


def below_minimum(name: str, minimum: int) -> StripeError:
    """An integer under the least Stripe takes (a negative amount): Stripe's wording, as
    real answers quote it ("This value must be greater than or equal to 1.", stripe/stripe-php
    #943 and #982, corpus `issues`)."""
    return StripeError(
        400,
        f"This value must be greater than or equal to {minimum}.",
        code="parameter_invalid_integer",
        param=name,
    )


def above_maximum(name: str, maximum: int) -> StripeError:
    """An integer over the most Stripe takes: worded like `below_minimum` (ours)."""
    return StripeError(
        400,
        f"This value must be less than or equal to {maximum}.",
        code="parameter_invalid_integer",
        param=name,
    )


def card_declined() -> StripeError:
    return StripeError(
        402,
        "Your card was declined.",
        type=CARD_ERROR,
        code="card_declined",
        decline_code="generic_decline",
        param="",
    )


def api_error(status: int = 500) -> StripeError:
    return StripeError(
        status,
        "An unknown error occurred while processing your request (injected by the emulator).",
        type=API_ERROR,
    )


def mask_key(key: str) -> str:
    """Stripe never echoes a key: keep its prefix and last four characters only."""
    parts = key.split("_")
    prefix = "_".join(parts[:2]) + "_" if len(parts) > 2 else ""
    rest = key[len(prefix) :]
    if len(rest) <= 4:
        return prefix + "*" * len(rest)
    return prefix + "*" * (len(rest) - 4) + rest[-4:]
