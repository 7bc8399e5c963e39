"""`reconciler serve`: the webhook endpoint and health check on a stdlib WSGI server."""

from __future__ import annotations

import logging
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import click

from reconciler.cli.output import note, plans_option
from reconciler.errors import ReconcilerError


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request, so a slow Stripe call never blocks the health check."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    """Request lines go through `logging` (stderr) instead of wsgiref's own print."""

    def log_message(self, format: str, *args: object) -> None:
        logging.getLogger("reconciler.serve").info(format, *args)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@plans_option
def serve(host: str, port: int, plans_path: str) -> int:
    """Serve POST /stripe/webhook and GET /healthz (Stripe and store settings from the
    environment: STRIPE_API_KEY, STRIPE_API_BASE, STRIPE_WEBHOOK_SECRET, REDIS_URL)."""
    from reconciler.runtime.billing import Billing
    from reconciler.runtime.wsgi import make_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    billing = Billing.from_env(plans_path)
    if not billing.settings.webhook_secret:
        billing.close()
        raise ReconcilerError(
            "STRIPE_WEBHOOK_SECRET is not set: reconciler serve cannot verify webhooks "
            "(copy the endpoint's signing secret, whsec_..., from Stripe)"
        )
    server = make_server(host, port, make_app(billing), ThreadingWSGIServer, QuietHandler)
    note(
        f"serving webhooks on http://{host}:{server.server_port}/stripe/webhook "
        f"({billing.store.description}, Stripe key {billing.settings.masked_key})"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        note("stopped")
    finally:
        server.server_close()
        billing.close()
    return 0
