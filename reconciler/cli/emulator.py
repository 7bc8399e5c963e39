"""`reconciler emulator`: serve the local Stripe emulator until Ctrl-C.

Imports only the standard-library emulator (never the `stripe` package), so it
starts in well under a second.
"""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import click


def _stop_on_term(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the same path as Ctrl-C, so --data is saved either way.
    raise KeyboardInterrupt


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=12111, show_default=True, type=int, help="Port (0 = any free).")
@click.option(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file: state is loaded from it at start and saved to it at shutdown.",
)
def emulator(host: str, port: int, data: Path | None) -> None:
    """Run a local Stripe emulator for tests and development."""
    from reconciler.emulator import create_server
    from reconciler.emulator.persistence import load, save

    server = create_server(host, port)
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
    signal.signal(signal.SIGTERM, _stop_on_term)
    state.webhooks.start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        state.webhooks.stop()
        if data is not None:
            save(state, data)
            click.echo(f"Saved emulator state to {data}", err=True)
