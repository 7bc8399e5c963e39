"""`main(argv) -> int`: exit codes returned, never raised; `--debug` anywhere on the line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import main, split_debug

PLANS = Path(__file__).parents[2] / "plans"


def test_main_returns_the_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(PLANS)]) == 0
    assert main(["validate", str(PLANS / "missing")]) == 1
    assert capsys.readouterr().out == f"{PLANS / 'missing'}:1:1: no such file or folder\n"


def test_usage_errors_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--bogus"]) == 1
    assert capsys.readouterr().err == (
        "Usage: reconciler diff [OPTIONS] [PATH]\nTry 'reconciler diff --help' for help.\n\n"
        "Error: No such option '--bogus'.\n"
    )
    assert main(["nosuchcommand"]) == 1
    assert main(["validate", "--format", "yaml"]) == 1


def test_debug_counts_anywhere_on_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(PLANS), "--debug"]) == 0
    assert main(["validate", "--debug", str(PLANS)]) == 0
    assert main(["--debug", "validate", str(PLANS)]) == 0
    assert "No such option" not in capsys.readouterr().err
    assert split_debug(["diff", "--debug", "--", "--debug"]) == (["diff", "--", "--debug"], True)
    assert split_debug(["diff", "plans"]) == (["diff", "plans"], False)


def test_debug_after_the_command_shows_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")}
    args = [sys.executable, "-m", "reconciler", "import", "--out", str(tmp_path)]
    plain = subprocess.run(args, capture_output=True, text=True, env=env)
    assert plain.returncode == 1
    assert plain.stderr.startswith("error: STRIPE_API_KEY is not set")
    debug = subprocess.run([*args, "--debug"], capture_output=True, text=True, env=env)
    assert debug.returncode == 1
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert debug.stderr.splitlines()[-1].startswith(
        "reconciler.errors.ReconcilerError: STRIPE_API_KEY is not set"
    )
