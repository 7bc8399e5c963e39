"""`apply` SIGKILLed in the middle of price replacements (a real process, seeded random kill
points) converges when the same command runs again: finishing the interrupted replacements
does not count against the safety rail."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import stripe

from reconciler.model import Catalog
from reconciler.testing import EmulatorControl
from tests.reconcile.conftest import Run
from tests.reconcile.helpers import price, product, write_plans
from tests.reconcile.test_apply_emulator import all_prices

TRIALS = 10
PRICES = 7  # under the rail's 10-price floor, as in a small catalog replaced wholesale
# Replacing every price: 7 replacement prices, 1 default move, 7 archives.
STEPS = 2 * PRICES + 1
LATENCY_MS = 25


def killed_apply(
    plans_dir: Path, emulator: EmulatorControl, kill_after: int, grace: float
) -> tuple[list[str], int]:
    """Run `reconciler apply --yes` as its own process and SIGKILL it once it has announced
    `kill_after` steps (plus `grace` seconds); returns the steps it announced and its exit
    status (-9 when the kill landed before it finished)."""
    env = {**os.environ, "STRIPE_API_KEY": "sk_test_killed_apply", "STRIPE_API_BASE": emulator.url}
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", str(plans_dir), "--yes"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    announced: list[str] = []
    for line in process.stderr:
        if line.startswith("  "):
            announced.append(line.strip())
            if len(announced) == kill_after:
                try:
                    process.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    process.send_signal(signal.SIGKILL)
                break
    process.wait(timeout=30)
    process.stderr.close()
    return announced, process.returncode


def test_ten_killed_replacements_converge_with_the_same_command(
    run: Run, emulator: EmulatorControl, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    rng = random.Random(20261126)
    old = [price(f"p{i}", 100 + i) for i in range(PRICES)]
    new = [price(f"p{i}", 200 + i) for i in range(PRICES)]
    killed = 0
    for trial in range(2 * TRIALS):  # a kill can come too late on a loaded machine: retry
        emulator.reset()
        write_plans(plans_dir, Catalog((product("big", *old),)))
        assert run("apply", str(plans_dir), "--yes")[0] == 0
        write_plans(plans_dir, Catalog((product("big", *new),)))
        # Slow answers, so the kill often lands while a write is in flight.
        emulator.faults(latency_ms=LATENCY_MS)
        kill_after, grace = rng.randint(1, STEPS), rng.uniform(0, 0.02)
        announced, status = killed_apply(plans_dir, emulator, kill_after, grace)
        if status != -signal.SIGKILL:
            emulator.clear_faults()
            continue
        # A write the killed process had sent still runs on the emulator once its latency has
        # passed (as on Stripe): the rerun starts after that, as a rerun in CI would.
        time.sleep(10 * LATENCY_MS / 1000)
        emulator.clear_faults()
        killed += 1
        code, _, err = run("apply", str(plans_dir), "--yes")
        assert code == 0, f"trial {trial}, killed after {announced[-1]!r}: {err}"
        assert run("diff", str(plans_dir))[0] == 0
        active = sorted(
            (p.lookup_key, p.unit_amount) for p in all_prices(stripe_client) if p.active
        )
        assert active == [(f"p{i}", 200 + i) for i in range(PRICES)], f"trial {trial}"
        if killed == TRIALS:
            break
    assert killed == TRIALS
