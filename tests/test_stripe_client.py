"""Stripe settings from the environment: modes, refusals, and keys never shown whole."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
import stripe

from reconciler.cli import main
from reconciler.errors import ReconcilerError, StripeCallError
from reconciler.stripe_client import (
    StripeSettings,
    call_outcome,
    mask,
    observe_stripe_calls,
    stripe_errors,
)
from reconciler.testing import free_port

PLANS = Path(__file__).parents[1] / "plans"

LONG_TEST_KEY = "sk_test_" + "a1b2c3d4e5f6g7h8i9j0k1l2"


def test_mask_shows_prefix_and_last_four_of_real_keys_only() -> None:
    assert mask(LONG_TEST_KEY) == "sk_test_***k1l2"
    assert mask("rk_live_" + "z" * 30) == "rk_live_***zzzz"
    assert mask("sk_test_short") == "sk_test_***"
    assert mask("hunter2") == "***"


def test_settings_from_env() -> None:
    settings = StripeSettings.from_env(
        {
            "STRIPE_API_KEY": LONG_TEST_KEY,
            "STRIPE_API_BASE": "http://127.0.0.1:12111/",
            "STRIPE_WEBHOOK_SECRET": "whsec_abc",
        }
    )
    assert (settings.mode, settings.api_base, settings.webhook_secret) == (
        "test",
        "http://127.0.0.1:12111",
        "whsec_abc",
    )
    assert LONG_TEST_KEY not in repr(settings)
    assert "whsec_abc" not in repr(settings)
    live = StripeSettings.from_env({"STRIPE_API_KEY": "sk_live_" + "x" * 24})
    assert (live.mode, live.api_base, live.webhook_secret) == (
        "live",
        "https://api.stripe.com",
        None,
    )


def test_settings_refuse_missing_and_wrong_keys() -> None:
    with pytest.raises(ReconcilerError) as missing:
        StripeSettings.from_env({})
    assert str(missing.value).startswith("STRIPE_API_KEY is not set")
    with pytest.raises(ReconcilerError) as publishable:
        StripeSettings.from_env({"STRIPE_API_KEY": "pk_test_" + "q" * 24})
    assert str(publishable.value) == (
        "STRIPE_API_KEY (***qqqq) is not a secret or restricted key "
        "(sk_test_, sk_live_, rk_test_ or rk_live_)"
    )


def test_emulator_on_a_taken_port_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["emulator", "--port", str(port)])
    assert code == 1
    assert capsys.readouterr().err == (
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


@pytest.mark.parametrize("base", ["localhost:12111", "127.0.0.1:12111", "ftp://x", "http://h:port"])
def test_api_base_must_be_an_http_address(base: str) -> None:
    with pytest.raises(ReconcilerError) as refused:
        StripeSettings.from_env({"STRIPE_API_KEY": LONG_TEST_KEY, "STRIPE_API_BASE": base})
    assert str(refused.value) == (
        f"STRIPE_API_BASE is {base!r}, not an http:// or https:// address: fix STRIPE_API_BASE "
        "(http://127.0.0.1:12111 for `reconciler emulator`) or unset it to use Stripe"
    )


def test_unreachable_api_base_says_so_and_logs_each_retry(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    monkeypatch.setenv("STRIPE_API_KEY", LONG_TEST_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", f"http://127.0.0.1:{port}")
    assert main(["diff", str(PLANS)]) == 1
    problem = (
        f"cannot connect to the Stripe API at 127.0.0.1:{port} (Connection refused): check "
        "STRIPE_API_BASE and the network"
    )
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "reading the Stripe catalog (test mode, key sk_test_***k1l2)"
    # Three attempts at most when no connection opens: each retry is one line, then the error.
    assert [re.sub(r"in \d+\.\d s", "in N s", line) for line in lines[1:]] == [
        f"{problem}; retrying in N s (attempt 2 of at most 3)",
        f"{problem}; retrying in N s (attempt 3 of at most 3)",
        f"error: reading products: {problem}",
    ]


def test_call_outcomes_for_metrics() -> None:
    assert call_outcome(None) == "ok"
    assert call_outcome(stripe.APIConnectionError("no route")) == "connection_error"  # type: ignore[no-untyped-call]
    assert call_outcome(stripe.RateLimitError("slow down", http_status=429)) == "rate_limited"
    assert call_outcome(stripe.APIError("oops", http_status=500)) == "server_error"
    missing = stripe.InvalidRequestError("no such", "id", http_status=404)  # type: ignore[no-untyped-call]
    assert call_outcome(missing) == "client_error"


def test_observers_see_each_call_until_removed() -> None:
    seen: list[str] = []
    stop = observe_stripe_calls(seen.append)
    with stripe_errors("reading"):
        pass
    with pytest.raises(StripeCallError), stripe_errors("reading"):
        raise stripe.RateLimitError("slow down", http_status=429)
    stop()
    with stripe_errors("reading"):
        pass
    assert seen == ["ok", "rate_limited"]
