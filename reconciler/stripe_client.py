"""Stripe settings from the environment, the SDK client, and Stripe errors made ours.

Every module that talks to Stripe gets its client here, so the key is read in one place and
never printed: `StripeSettings` masks it in `repr`, and errors carry Stripe's message and
request id only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import stripe

from reconciler.errors import ReconcilerError, StripeCallError
from reconciler.model import Mode

DEFAULT_API_BASE = "https://api.stripe.com"
LIVE_PREFIXES = ("sk_live_", "rk_live_")
TEST_PREFIXES = ("sk_test_", "rk_test_")
# Seconds to open a connection (an address that drops packets fails fast), and for an answer
# (the SDK's default).
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 80.0
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^\"')]+)")
_HOST = re.compile(r"host='([^']+)', port=(\d+)")


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
        _check_api_base(base)
        secret = env.get("STRIPE_WEBHOOK_SECRET", "").strip() or None
        return cls(api_key=key, api_base=base.rstrip("/"), webhook_secret=secret)


def _check_api_base(base: str) -> None:
    parts = urlsplit(base)
    try:
        _ = parts.port  # raises for a port that is not a number
        port_ok = True
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ReconcilerError(
            f"STRIPE_API_BASE is {base!r}, not an http:// or https:// address: fix "
            "STRIPE_API_BASE (http://127.0.0.1:12111 for `reconciler emulator`) or unset it "
            "to use Stripe"
        )


def make_client(settings: StripeSettings, max_network_retries: int = 2) -> stripe.StripeClient:
    """The official SDK client for these settings (every base address points at api_base)."""
    base = settings.api_base
    return stripe.StripeClient(
        settings.api_key,
        base_addresses={"api": base, "files": base, "connect": base, "meter_events": base},
        max_network_retries=max_network_retries,
        http_client=stripe.RequestsClient(timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)),
    )


def cannot_connect(exc: BaseException) -> bool:
    """True when no connection could be opened at all (refused, unknown host, connect
    timeout), as opposed to one dropped mid-request: retrying the former rarely helps."""
    text = str(exc)
    return isinstance(exc, stripe.APIConnectionError) and (
        "NewConnectionError" in text or "ConnectTimeout" in text
    )


def connection_problem(exc: stripe.APIConnectionError) -> str:
    """What went wrong reaching the API, and which variable to check, instead of the SDK's
    "let us know at support" text."""
    text = str(exc)
    host = _HOST.search(text)
    where = f" at {host[1]}:{host[2]}" if host else ""
    errno = _ERRNO.search(text)
    if errno:
        reason = errno[1].strip()
    elif "timed out" in text or "Timeout" in text:
        reason = "no answer in time"
    else:
        reason = text.rpartition("(Network error: ")[2].rstrip(")").strip()[:200]
    return (
        f"cannot connect to the Stripe API{where} ({reason}): check STRIPE_API_BASE and the network"
    )


# Told the outcome of every call made in `stripe_errors` (`CallOutcome`): how a long-running
# process (`reconciler serve`'s /metrics) counts its Stripe calls without this module knowing.
_call_observers: list[Callable[[str], None]] = []


def observe_stripe_calls(observer: Callable[[str], None]) -> Callable[[], None]:
    """Call `observer` with the outcome of each Stripe call from now on: "ok",
    "rate_limited", "client_error", "server_error" or "connection_error". Returns the
    function that stops it."""
    _call_observers.append(observer)
    return lambda: _call_observers.remove(observer)


def call_outcome(exc: stripe.StripeError | None) -> str:
    """The outcome a Stripe call ended with, for counting (None: it succeeded)."""
    if exc is None:
        return "ok"
    if isinstance(exc, stripe.APIConnectionError):
        return "connection_error"
    if isinstance(exc, stripe.RateLimitError):
        return "rate_limited"
    return "server_error" if (exc.http_status or 0) >= 500 else "client_error"


def _observe(exc: stripe.StripeError | None) -> None:
    for observer in list(_call_observers):
        observer(call_outcome(exc))


@contextmanager
def stripe_errors(action: str) -> Iterator[None]:
    """Turn an SDK error into a StripeCallError that names the action and keeps the request id."""
    try:
        yield
    except stripe.APIConnectionError as exc:
        _observe(exc)
        raise StripeCallError(f"{action}: {connection_problem(exc)}", exc.request_id) from exc
    except stripe.StripeError as exc:
        _observe(exc)
        message = exc.user_message or str(exc) or type(exc).__name__
        raise StripeCallError(f"{action}: {message}", exc.request_id, exc.code) from exc
    _observe(None)
