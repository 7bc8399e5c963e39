"""apply under faults that strike after Stripe began executing a write (issue 9 item 3).

Stripe saves a 500 for the idempotency key once execution began (docs:
api/idempotent_requests), so the plan-derived key can never succeed again; apply reads the
catalog back and retries with a new key only where the write did not happen.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import stripe

from reconciler.testing import EmulatorControl
from tests.reconcile.conftest import Run

EXAMPLE = Path(__file__).parents[2] / "plans"


@pytest.mark.parametrize("point", ["after", "during", "drop"])
def test_repeated_applies_converge_without_duplicates(
    run: Run,
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    tmp_path: Path,
    point: str,
) -> None:
    folder = shutil.copytree(EXAMPLE, tmp_path / "plans")
    # seed=1 draws 0.13 first: the first write always fails, so every run rehearses a fault.
    emulator.faults(error_rate=0.2, error_point=point, error_methods=["POST"], seed=1)
    for _ in range(3):
        code, _, err = run("apply", str(folder), "--yes")
        if code == 0:
            break
    assert code == 0, err
    emulator.clear_faults()
    code, out, _ = run("diff", str(folder), "--format", "json")
    assert (code, json.loads(out)["in_sync"]) == (0, True)
    assert emulator.counters()["errors_injected"] > 0
    prices = [p.to_dict() for p in stripe_client.v1.prices.list(params={"limit": 100}).data]
    inactive = stripe_client.v1.prices.list(params={"limit": 100, "active": False}).data
    # One price per plan price: no orphan made by a write whose 500 hid its success.
    assert len(prices) + len(inactive) == 9
    assert sorted(Counter(p["lookup_key"] for p in prices).values()) == [1] * 9
    products = stripe_client.v1.products.list(params={"limit": 100}).data
    assert len(products) == 3


def test_a_rerun_the_same_day_gets_past_the_failures_stripe_saved(
    run: Run, emulator: EmulatorControl, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    """Every write of the first apply fails once Stripe began executing it, so Stripe saves a
    500 for each of its keys, for a day. The rerun of the same plan meets the first of them,
    reads back (nothing was made) and goes on with keys of its own."""
    folder = shutil.copytree(EXAMPLE, tmp_path / "plans")
    emulator.faults(error_rate=1.0, error_point="during", error_methods=["POST"])
    code, _, err = run("apply", str(folder), "--yes")
    assert code == 1, err
    assert stripe_client.v1.products.list().data == []
    emulator.clear_faults()
    code, _, err = run("apply", str(folder), "--yes")
    assert code == 0, err
    code, out, _ = run("diff", str(folder), "--format", "json")
    assert (code, json.loads(out)["in_sync"]) == (0, True)
    assert len(stripe_client.v1.products.list(params={"limit": 100}).data) == 3
