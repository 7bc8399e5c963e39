"""`reconciler emulator`: serve the local Stripe emulator until Ctrl-C.

Imports only the standard-library emulator (never the `stripe` package), so it
starts in well under a second.
"""

from __future__ import annotations

import gc
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from reconciler.emulator import Emulator

# How often changed state is written to --data while serving, in seconds.
SAVE_INTERVAL = 1.0
# The account is a growing heap of acyclic JSON-like objects. With the default collector,
# full collections re-scan all of it ever more slowly (benchmarks/emulator_speed.py: about
# a sixth of the time per request, in pauses that grow with the account). So young objects
# are collected as usual, and what survives into the old generation, the account itself, is
# frozen out of later scans. Garbage is still freed by reference counting; only a reference
# cycle that dies after surviving two collections is kept.
GC_THRESHOLDS = (10_000, 10, 10)


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    if phase == "stop" and info["generation"] >= 1:
        gc.freeze()


def _save_while_serving(state: Emulator, data: Path, stop: threading.Event) -> None:
    """Write the account whenever it changed, so a killed process loses at most a second."""
    from reconciler.emulator.persistence import save

    saved = state.writes
    while not stop.wait(SAVE_INTERVAL):
        if state.writes != saved:
            saved = state.writes
            save(state, data)


def _stop_on_term(signum: int, frame: FrameType | None) -> None:
    # SIGTERM and SIGINT end `serve_forever` alike, so --data is saved either way.
    raise KeyboardInterrupt


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=12111, show_default=True, type=int, help="Port (0 = any free).")
@click.option(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file: state is loaded from it at start, saved within a second of every "
    "change and at shutdown.",
)
@click.option(
    "--poll-us",
    default=250,
    show_default=True,
    type=click.IntRange(0, 100_000),
    help="Microseconds a connection whose client sent its last request quickly polls for the "
    "next one before sleeping: saves waking an idle CPU, which costs ~100 us on VMs whose idle "
    "CPUs halt, for some CPU time. 0 = never poll.",
)
def emulator(host: str, port: int, data: Path | None, poll_us: int) -> None:
    """Run a local Stripe emulator for tests and development."""
    from reconciler.emulator import create_server
    from reconciler.emulator.persistence import load, save

    gc.set_threshold(*GC_THRESHOLDS)
    gc.callbacks.append(_freeze_survivors)
    try:
        server = create_server(host, port, poll_window=poll_us / 1e6)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    state = server.emulator
    if data is not None:
        try:
            load(state, data)
        except (OSError, ValueError, KeyError) as exc:
            raise click.ClickException(f"cannot load {data}: {exc}") from exc
    click.echo(
        f"Stripe emulator on {state.base_url} - set "
        f"STRIPE_API_BASE={state.base_url} STRIPE_API_KEY=sk_test_emulator (Ctrl-C stops)",
        err=True,
    )
    # SIGTERM takes Ctrl-C's path; and Ctrl-C (SIGINT) stops it even when it was started
    # with SIGINT ignored, as a shell without job control starts a background command
    # (`reconciler emulator &` in a script) and every child inherits.
    signal.signal(signal.SIGTERM, _stop_on_term)
    signal.signal(signal.SIGINT, _stop_on_term)
    state.webhooks.start()
    stop_saving = threading.Event()
    if data is not None:
        saver = threading.Thread(
            target=_save_while_serving, args=(state, data, stop_saving), daemon=True
        )
        saver.start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop_saving.set()
        server.server_close()
        state.webhooks.stop()
        if data is not None:
            save(state, data)
            click.echo(f"Saved emulator state to {data}", err=True)
