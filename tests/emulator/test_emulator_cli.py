"""`reconciler emulator`: starts fast, prints where it is, keeps state with --data."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.emulator_only

_LINE = re.compile(r"STRIPE_API_BASE=(http://127\.0\.0\.1:\d+) STRIPE_API_KEY=sk_test_\w+")


def _start(data: Path) -> tuple[subprocess.Popen[str], str, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "--port", "0", "--data", str(data)],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    found = _LINE.search(line)
    assert found, line
    return process, found.group(1), time.perf_counter() - started


def _call(url: str, method: str = "GET", body: str | None = None) -> dict[str, object]:
    request = urllib.request.Request(
        url,
        data=body.encode() if body else None,
        method=method,
        headers={"Authorization": "Bearer sk_test_cli"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, object] = json.load(response)
        return answer


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=10)
    assert process.returncode == 0
    return errors


def test_serves_and_keeps_state_between_runs(tmp_path: Path) -> None:
    data = tmp_path / "state.json"
    process, url, elapsed = _start(data)
    try:
        assert elapsed < 3.0
        created = _call(f"{url}/v1/products", "POST", "name=Persisted&metadata[k]=v")
        for _ in range(40):
            if data.exists() and str(created["id"]) in data.read_text():
                break
            time.sleep(0.1)
        assert str(created["id"]) in data.read_text()
    finally:
        errors = _stop(process)
    assert f"Saved emulator state to {data}" in errors
    assert data.exists()
    process, url, _ = _start(data)
    try:
        again = _call(f"{url}/v1/products/{created['id']}")
        assert again["name"] == "Persisted" and again["metadata"] == {"k": "v"}
    finally:
        _stop(process)


def test_the_emulator_never_imports_stripe() -> None:
    code = (
        "import sys, time; t = time.perf_counter();"
        "import reconciler.cli.emulator; from reconciler.emulator import run_in_thread;"
        "emu = run_in_thread(); emu.stop();"
        "print(time.perf_counter() - t, 'stripe' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert output[1] == "False"
    assert float(output[0]) < 1.0


def test_saved_state_round_trips_with_live_links(tmp_path: Path) -> None:
    import stripe

    from reconciler.emulator import run_in_thread
    from reconciler.emulator.persistence import load, save

    def client_for(url: str) -> stripe.StripeClient:
        return stripe.StripeClient("sk_test_p", base_addresses={"api": url}, max_network_retries=0)

    with run_in_thread() as first:
        client = client_for(first.url)
        price = client.v1.prices.create(
            params={
                "product_data": {"name": "Kept"},
                "currency": "usd",
                "unit_amount": 700,
                "lookup_key": "kept",
                "recurring": {"interval": "month"},
            }
        )
        customer = client.v1.customers.create(
            params={
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        )
        sub = client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id}]}
        )
        save(first.emulator, tmp_path / "state.json")
        before = client.v1.subscriptions.retrieve(sub.id).to_dict()
    with run_in_thread() as second:
        load(second.emulator, tmp_path / "state.json")
        client = client_for(second.url)
        assert client.v1.subscriptions.retrieve(sub.id).to_dict() == before
        client.v1.prices.update(price.id, params={"nickname": "Renamed"})
        again = client.v1.subscriptions.retrieve(sub.id)
        assert again["items"].data[0].price.nickname == "Renamed"
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.prices.create(
                params={
                    "product": str(price.product),
                    "currency": "usd",
                    "unit_amount": 1,
                    "lookup_key": "kept",
                }
            )
