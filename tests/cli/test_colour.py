"""The text plan is coloured on a terminal, plain in pipes, and plain whenever NO_COLOR is set."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli.planning import colour_plan
from reconciler.testing import EmulatorControl

PLANS = Path(__file__).parents[2] / "plans"


def test_colour_plan_styles_the_first_line_of_each_change() -> None:
    text = "+ product team\n    active: true\n-/+ price a (price_1)\n! unmanaged x\nPlan: 1\n"
    assert colour_plan(text) == (
        "\x1b[32m+ product team\x1b[0m\n    active: true\n"
        "\x1b[35m-/+ price a (price_1)\x1b[0m\n\x1b[33m! unmanaged x\x1b[0m\nPlan: 1\n"
    )


def diff_on_a_terminal(emulator: EmulatorControl, **extra: str) -> str:
    """`reconciler diff plans` with stdout on a pseudo-terminal; what it printed there."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(STRIPE_API_KEY="sk_test_colour", STRIPE_API_BASE=emulator.url, **extra)
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "diff", str(PLANS)],
            stdout=follower,
            stderr=subprocess.DEVNULL,
            env=env,
            timeout=60,
        )
        os.close(follower)
        assert done.returncode == 2
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # Linux: EIO once the terminal's other side is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    return b"".join(chunks).decode().replace("\r\n", "\n")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_diff_is_coloured_on_a_terminal_unless_no_color(emulator: EmulatorControl) -> None:
    coloured = diff_on_a_terminal(emulator)
    assert coloured.splitlines()[0] == "\x1b[32m+ product free\x1b[0m"
    plain = diff_on_a_terminal(emulator, NO_COLOR="1")
    assert plain.splitlines()[0] == "+ product free"
    assert "\x1b[" not in plain
