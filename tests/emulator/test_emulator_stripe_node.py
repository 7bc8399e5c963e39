"""stripe-node, a second official client, through a contract flow against the emulator.

tools/node/stripe_contract.mjs (stripe-node 23.1.0, pinned in tools/node/package-lock.json)
creates with nested parameters, lists with `expand` and auto-pagination, searches, replays
an idempotent request, catches errors as stripe-node's classes and verifies a webhook's
signature: the form encoding and the answers work for a client other than the Python SDK.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.emulator.conftest import Target

pytestmark = pytest.mark.emulator_only

STEPS = [
    "ok nested parameters are encoded and answered",
    "ok list with expand and auto-pagination",
    "ok search",
    "ok idempotent replay",
    "ok errors are StripeInvalidRequestError with Stripe fields",
    "ok webhook signatures verify with stripe.webhooks",
]


def test_the_stripe_node_contract_flow_passes(target: Target, node_tools: Path) -> None:
    done = subprocess.run(
        ["node", str(node_tools / "stripe_contract.mjs"), target.url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    assert done.stdout.splitlines() == STEPS
