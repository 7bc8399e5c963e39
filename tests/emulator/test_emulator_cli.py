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


def _start(data: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "--port", "0", "--data", str(data)],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    found = _LINE.search(line)
    assert found, line
    return process, found.group(1)


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
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 0
    return errors


def test_serves_and_keeps_state_between_runs(tmp_path: Path) -> None:
    data = tmp_path / "state.json"
    process, url = _start(data)
    try:
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
    process, url = _start(data)
    try:
        again = _call(f"{url}/v1/products/{created['id']}")
        assert again["name"] == "Persisted" and again["metadata"] == {"k": "v"}
    finally:
        _stop(process)


def test_the_emulator_never_imports_stripe() -> None:
    code = (
        "import sys;"
        "import reconciler.cli.emulator; from reconciler.emulator import run_in_thread;"
        "emu = run_in_thread(); emu.stop();"
        "print('stripe' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    # Start-up time is not asserted: on a loaded machine any bound is a coin toss.
    assert output == ["False"]


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


def test_saved_state_keeps_meters_features_coupons_and_hidden_fields(tmp_path: Path) -> None:
    import stripe

    from reconciler.emulator import run_in_thread
    from reconciler.emulator.persistence import load, save

    def client_for(url: str) -> stripe.StripeClient:
        return stripe.StripeClient("sk_test_p", base_addresses={"api": url}, max_network_retries=0)

    with run_in_thread() as first:
        client = client_for(first.url)
        meter = client.v1.billing.meters.create(
            params={
                "display_name": "M",
                "event_name": "m",
                "default_aggregation": {"formula": "sum"},
            }
        )
        product = client.v1.products.create(params={"name": "P"})
        feature = client.v1.entitlements.features.create(params={"lookup_key": "f", "name": "F"})
        client.v1.products.features.create(product.id, params={"entitlement_feature": feature.id})
        price = client.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 5,
                "currency_options": {"eur": {"unit_amount": 4}},
                "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id},
            }
        )
        coupon = client.v1.coupons.create(
            params={"percent_off": 10, "applies_to": {"products": [product.id]}}
        )
        client.v1.billing.meter_events.create(
            params={
                "event_name": "m",
                "payload": {"stripe_customer_id": "cus_x"},
                "identifier": "i1",
            }
        )
        save(first.emulator, tmp_path / "state.json")
    with run_in_thread() as second:
        load(second.emulator, tmp_path / "state.json")
        client = client_for(second.url)
        assert client.v1.billing.meters.retrieve(meter.id).event_name == "m"
        shown = client.v1.prices.retrieve(price.id, params={"expand": ["currency_options"]})
        assert shown.currency_options is not None
        assert shown.currency_options["eur"].unit_amount == 4
        kept = client.v1.coupons.retrieve(coupon.id, params={"expand": ["applies_to"]})
        assert kept.applies_to is not None
        assert kept.applies_to.products == [product.id]
        client.v1.entitlements.features.update(feature.id, params={"name": "Renamed"})
        (attached,) = client.v1.products.features.list(product.id).data
        assert attached.entitlement_feature.name == "Renamed"
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.billing.meter_events.create(
                params={
                    "event_name": "m",
                    "payload": {"stripe_customer_id": "x"},
                    "identifier": "i1",
                }
            )


def test_ctrl_c_stops_it_even_when_started_with_sigint_ignored(tmp_path: Path) -> None:
    # A shell without job control starts `reconciler emulator &` with SIGINT ignored, and the
    # emulator inherits that; it still stops on SIGINT and saves its state.
    data = tmp_path / "state.json"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process, url = _start(data)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        _call(f"{url}/v1/products", "POST", "name=Kept")
    finally:
        errors = _stop(process)
    assert f"Saved emulator state to {data}" in errors
    assert "Kept" in data.read_text()
