"""`reconciler serve` in a process of its own, for the tests that drive it over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from reconciler.testing import free_port
from tests.runtime.conftest import TEST_KEY
from tests.runtime.test_cli import wait_for


def start_serve(
    args: list[str], *, emulator_url: str, redis_url: str, secret: str, log: Path, cwd: Path
) -> tuple[int, subprocess.Popen[bytes]]:
    """Start `reconciler serve --port <free port> ARGS` against the emulator and the store,
    its stderr written to `log`; return its port and process once `/healthz` answers (the
    process is stopped when it never does)."""
    port = free_port()
    environ = {
        **os.environ,
        "STRIPE_API_KEY": TEST_KEY,
        "STRIPE_API_BASE": emulator_url,
        "STRIPE_WEBHOOK_SECRET": secret,
        "REDIS_URL": redis_url,
    }
    command = [sys.executable, "-m", "reconciler", "serve", "--port", str(port), *args]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, env=environ, stdout=subprocess.DEVNULL, stderr=sink, cwd=cwd
        )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process)
    except BaseException:
        process.kill()
        process.wait(timeout=10)
        raise
    return port, process
