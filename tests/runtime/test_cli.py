"""`reconciler entitlements`, `reconciler sync` and `reconciler serve` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
import stripe

from reconciler.cli import main
from reconciler.model import Plans
from reconciler.runtime.store import Store, open_store
from reconciler.testing import EmulatorControl, eventually, free_port
from tests.runtime.conftest import PLANS_DIR, TEST_KEY, make_billing
from tests.runtime.test_webhooks import event, signed


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch,
    emulator: EmulatorControl,
    redis_url: str,
    price_ids: dict[str, str],
) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    monkeypatch.setenv("STRIPE_API_KEY", TEST_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", emulator.url)
    monkeypatch.setenv("REDIS_URL", redis_url)


def test_entitlements_text_and_json(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ["entitlements", "user_1", "--plans", str(PLANS_DIR), "--format", "json"], capsys
    )
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "status": "none",
        "plan": "free",
        "limits": {"standard-credits": 100, "premium-credits": 0, "seats": 1},
        "features": {"Standard Credits": 100, "Premium Credits": 0, "Priority Support": False},
    }
    code, out, _ = run_cli(["entitlements", "user_1", "--plans", str(PLANS_DIR)], capsys)
    assert code == 0
    assert out == (
        "entity:   user_1\nstatus:   none\nplan:     free\nlimits:\n  premium-credits: 0\n"
        "  seats: 1\n  standard-credits: 100\nfeatures:\n  Premium Credits: 0\n"
        "  Priority Support: false\n  Standard Credits: 100\n"
    )


def test_sync_prints_and_caches_the_subscription(
    env: None,
    emulator: EmulatorControl,
    plans: Plans,
    redis_store: Store,
    capsys: pytest.CaptureFixture[str],
) -> None:
    billing = make_billing(emulator, plans, redis_store)
    customer = billing.create_stripe_customer("user_1")
    emulator.complete_checkout(billing.checkout_session("user_1", "pro_monthly").id)
    args = ["sync", "--customer", customer, "--plans", str(PLANS_DIR)]
    code, out, err = run_cli([*args, "--format", "json"], capsys)
    assert (code, err) == (0, "")
    printed = json.loads(out)
    assert printed["status"] == "active"
    # The CLI wrote through its own store: this store's cached copy is dropped when Redis's
    # invalidation reaches its listener thread, a moment later.
    eventually(lambda: redis_store.get_subscription("user_1") == printed)
    code, out, err = run_cli(args, capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"customer:             {customer}",
        "cancel_at_period_end: false",
        f"current_period_end:   {printed['current_period_end']}",
        f"current_period_start: {printed['current_period_start']}",
        f"items:                price_id={printed['price_id']} quantity=1",
        "payment_method:       brand=visa last4=4242",
        f"price_id:             {printed['price_id']}",
        "status:               active",
        f"subscription_id:      {printed['subscription_id']}",
    ]


def test_store_down_is_an_error_line_and_exit_1(
    env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    monkeypatch.setenv("REDIS_URL", f"redis://:hunter2pass@127.0.0.1:{port}/0")
    code, out, err = run_cli(["entitlements", "user_1", "--plans", str(PLANS_DIR)], capsys)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: Redis at redis://:***@127.0.0.1:{port}/0 is unreachable (")
    assert "hunter2pass" not in err


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "reconciler serve did not start"
            time.sleep(0.1)


def test_serve_answers_health_and_webhooks(
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    redis_url: str,
    price_ids: dict[str, str],
    tmp_path: Path,
) -> None:
    port = free_port()
    secret = "whsec_cli_test_secret"
    environ = {
        **os.environ,
        "STRIPE_API_KEY": TEST_KEY,
        "STRIPE_API_BASE": emulator.url,
        "STRIPE_WEBHOOK_SECRET": secret,
        "REDIS_URL": redis_url,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "serve",
            "--port",
            str(port),
            "--plans",
            str(PLANS_DIR),
        ],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz", process)
        customer = stripe_client.v1.customers.create(params={"metadata": {"entityId": "u9"}}).id
        payload = event("evt_cli", "invoice.paid", {"customer": customer})
        for signature, expected in (
            (signed(payload, secret), 200),
            (signed(payload, "whsec_x"), 400),
        ):
            request = urllib.request.Request(
                base + "/stripe/webhook",
                data=payload,
                method="POST",
                headers={"Stripe-Signature": signature},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            assert status == expected
        # The re-read is queued and done by a reader thread: the entity's cache appears.
        store = open_store(redis_url)
        deadline = time.monotonic() + 20
        while store.get_subscription("u9") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.get_subscription("u9") == {"status": "none"}
        store.close()
    finally:
        process.terminate()  # SIGTERM: a clean stop, the reader's log line written
        _, err = process.communicate(timeout=30)
    text = err.decode()
    assert process.returncode == 0, text
    assert "stopped" in text.splitlines()
    assert "serving webhooks on http://127.0.0.1:" in text
    assert "Stripe key sk_test_***, re-reads at 25/s)" in text  # a short key shows no characters
    assert TEST_KEY not in text and secret not in text
    assert "webhook evt_cli invoice.paid: queued" in text
    assert f"re-read customer:{customer}" in text


def test_serve_refuses_to_start_without_a_webhook_secret(
    env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    code, out, err = run_cli(["serve", "--plans", str(PLANS_DIR)], capsys)
    assert (code, out) == (1, "")
    assert err == (
        "error: STRIPE_WEBHOOK_SECRET is not set: reconciler serve cannot verify webhooks "
        "(copy the endpoint's signing secret, whsec_..., from Stripe)\n"
    )
