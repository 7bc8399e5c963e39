"""Fixtures for reconcile tests against the emulator: the CLI with Stripe settings pointing
at the freshly reset emulator, and a plans folder to write catalogs into."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.testing import EmulatorControl

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(
    emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """`run("diff", "plans")` -> (exit code, stdout, stderr), against the emulator."""
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_reconcile_suite")
    monkeypatch.setenv("STRIPE_API_BASE", emulator.url)

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


@pytest.fixture
def plans_dir(tmp_path: Path) -> Path:
    return tmp_path / "plans"
