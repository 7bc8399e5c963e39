"""`--log-format json`: one JSON object per log line, a traceback inside it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from reconciler.cli.log_format import JsonFormatter


def record(message: str, exc_info: bool = False) -> logging.LogRecord:
    info = None
    if exc_info:
        try:
            raise ValueError("boom")
        except ValueError:
            info = sys.exc_info()
    made = logging.LogRecord(
        "reconciler.webhooks", logging.WARNING, "x.py", 1, message, ("a",), info
    )
    made.created = 1_800_000_000.25
    return made


def test_a_record_is_one_json_line() -> None:
    line = JsonFormatter().format(record("webhook rejected: %s"))
    assert json.loads(line) == {
        "time": "2027-01-15T08:00:00.250Z",
        "level": "warning",
        "logger": "reconciler.webhooks",
        "message": "webhook rejected: a",
    }


def test_a_traceback_stays_on_the_line() -> None:
    line = JsonFormatter().format(record("failed: %s", exc_info=True))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "failed: a"
    assert parsed["exception"].startswith("Traceback (most recent call last):\n")
    assert parsed["exception"].endswith("ValueError: boom")


def test_with_json_logs_a_failure_before_serving_is_a_json_line_too() -> None:
    """`serve --log-format json` that cannot start (no webhook secret) says why in a JSON
    record like its other lines, so a log collector reads every line of the process."""
    plans = Path(__file__).parents[2] / "plans"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "REDIS_"))}
    env.update(STRIPE_API_KEY="sk_test_json_logs", REDIS_URL="redis://127.0.0.1:1/0")
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "serve", "--log-format", "json", "--plans", plans],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert {k: v for k, v in lines[-1].items() if k != "time"} == {
        "level": "error",
        "logger": "reconciler",
        "message": "STRIPE_WEBHOOK_SECRET is not set: reconciler serve cannot verify webhooks "
        "(copy the endpoint's signing secret, whsec_..., from Stripe)",
    }


def test_without_json_logs_a_failure_is_a_plain_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "REDIS_"))}
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: STRIPE_API_KEY is not set (use an sk_test_ key; for the local emulator any "
        "sk_test_ value works with STRIPE_API_BASE=http://127.0.0.1:12111)"
    ]
