"""Stripe settings from the environment, the SDK client, and Stripe errors made ours.

Every module that talks to Stripe gets its client here, so the key is read in one place and
never printed: `StripeSettings` masks it in `repr`, and errors carry Stripe's message and
request id only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import stripe

from reconciler.errors import ReconcilerError, StripeCallError
from reconciler.model import Mode

DEFAULT_API_BASE = "https://api.stripe.com"
LIVE_PREFIXES = ("sk_live_", "rk_live_")
TEST_PREFIXES = ("sk_test_", "rk_test_")


def mask(secret: str) -> str:
    """`sk_test_abc...xyz` -> `sk_test_***xyz`: enough to tell keys apart, not to use one."""
    prefix = next((p for p in LIVE_PREFIXES + TEST_PREFIXES if secret.startswith(p)), "")
    # Real keys carry dozens of random characters; four of them identify a key, not reveal it.
    # A short value (a typo, a test string) shows none.
    return f"{prefix}***{secret[-4:]}" if len(secret) - len(prefix) >= 20 else f"{prefix}***"


@dataclass(frozen=True)
class StripeSettings:
    """Where and as whom to call Stripe. The key's prefix decides test or live mode."""

    api_key: str = field(repr=False)
    api_base: str = DEFAULT_API_BASE
    webhook_secret: str | None = field(default=None, repr=False)

    @property
    def mode(self) -> Mode:
        return "live" if self.api_key.startswith(LIVE_PREFIXES) else "test"

    @property
    def masked_key(self) -> str:
        return mask(self.api_key)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StripeSettings:
        """Read STRIPE_API_KEY, STRIPE_API_BASE and STRIPE_WEBHOOK_SECRET."""
        env = os.environ if environ is None else environ
        key = env.get("STRIPE_API_KEY", "").strip()
        if not key:
            raise ReconcilerError(
                "STRIPE_API_KEY is not set (use an sk_test_ key; for the local emulator any "
                "sk_test_ value works with STRIPE_API_BASE=http://127.0.0.1:12111)"
            )
        if not key.startswith(LIVE_PREFIXES + TEST_PREFIXES):
            raise ReconcilerError(
                f"STRIPE_API_KEY ({mask(key)}) is not a secret or restricted key "
                "(sk_test_, sk_live_, rk_test_ or rk_live_)"
            )
        base = env.get("STRIPE_API_BASE", "").strip() or DEFAULT_API_BASE
        secret = env.get("STRIPE_WEBHOOK_SECRET", "").strip() or None
        return cls(api_key=key, api_base=base.rstrip("/"), webhook_secret=secret)


def make_client(settings: StripeSettings, max_network_retries: int = 2) -> stripe.StripeClient:
    """The official SDK client for these settings (every base address points at api_base)."""
    base = settings.api_base
    return stripe.StripeClient(
        settings.api_key,
        base_addresses={"api": base, "files": base, "connect": base, "meter_events": base},
        max_network_retries=max_network_retries,
    )


@contextmanager
def stripe_errors(action: str) -> Iterator[None]:
    """Turn an SDK error into a StripeCallError that names the action and keeps the request id."""
    try:
        yield
    except stripe.StripeError as exc:
        message = exc.user_message or str(exc) or type(exc).__name__
        raise StripeCallError(f"{action}: {message}", exc.request_id, exc.code) from exc
