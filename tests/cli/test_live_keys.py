"""A live key needs a statement of intent before anything writes: `apply --yes` the reviewed
plan's `--fingerprint` (or `--force`), `backfill` the `--live` flag.

The suite refuses to start with a live key in the environment (`tests/conftest.py`), and the
emulator refuses live keys. These tests set an obviously fake live key for one test and point
the CLI at a bare TCP listener that counts connections (and answers 401), never at a Stripe:
the refusal must come before any request, so nothing reaches even that listener.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli import main

FAKE_LIVE_KEY = "sk_live_" + "0" * 24  # not a key: the right prefix and nothing else
PLANS = Path(__file__).parents[2] / "plans"


# What Stripe answers a key it does not know: not retried, so a run that gets here ends at once.
UNAUTHORIZED = (
    b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\n"
    b'Content-Length: 61\r\n\r\n{"error": {"type": "invalid_request_error", "message": "no"}}'
)


class Listener:
    """A TCP port that counts connections and answers each with a 401."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.connections = 0
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(UNAUTHORIZED)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def live_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Listener]:
    listener = Listener()
    monkeypatch.setenv("STRIPE_API_KEY", FAKE_LIVE_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", listener.url)
    monkeypatch.setenv("REDIS_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        yield listener
    finally:
        listener.close()


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_apply_with_a_live_key_refuses_without_the_reviewed_fingerprint(
    live_env: Listener, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["apply", str(PLANS), "--yes"], capsys)
    assert (code, out) == (1, "")
    assert err == (
        "error: STRIPE_API_KEY is a live key (sk_live_***0000): apply writes to your live "
        "Stripe account only the plan that was reviewed; pass --fingerprint SHA (printed by "
        "diff) or --force\n"
    )
    assert FAKE_LIVE_KEY not in err
    assert live_env.connections == 0


@pytest.mark.parametrize("command", ["customers", "subscriptions"])
def test_backfill_with_a_live_key_refuses_without_live(
    command: str, live_env: Listener, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("user-1\nuser-2\n")
    args = ["backfill", command] + (["--input", str(ids)] if command == "customers" else [])
    code, out, err = run(args, capsys)
    assert (code, out) == (1, "")
    assert err == (
        "error: STRIPE_API_KEY is a live key (sk_live_***0000): this run would write to your "
        "live Stripe account; pass --live to confirm\n"
    )
    assert live_env.connections == 0


def test_the_statement_of_intent_lets_the_run_go_on_to_stripe(
    live_env: Listener, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # With the flags, the commands get past the refusal and call "Stripe": here the listener,
    # whose 401 ends them at once.
    ids = tmp_path / "ids.txt"
    ids.write_text("user-1\n")
    for args in (
        ["apply", str(PLANS), "--yes", "--force"],
        ["apply", str(PLANS), "--yes", "--fingerprint", "0" * 64],
        ["backfill", "customers", "--input", str(ids), "--live"],
        # A dry run writes nothing: it reads the live account without the statement.
        ["backfill", "customers", "--input", str(ids), "--dry-run"],
    ):
        code, _, err = run(args, capsys)
        assert code == 1
        assert "is a live key" not in err
    assert live_env.connections > 0
