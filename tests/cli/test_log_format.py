"""`--log-format json`: one JSON object per log line, a traceback inside it."""

from __future__ import annotations

import json
import logging
import sys

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
