"""`reconciler serve`: the webhook endpoint and health check on waitress, with the workers that
drain the re-read queue.

Waitress, not gunicorn: it reads each request completely in one event loop before handing it
to a worker thread, so slow or silent clients hold a socket, never a thread (gunicorn's sync
workers need a buffering proxy in front for that); it closes clients idle for
`channel_timeout`; it runs in the same process as the queue workers and in tests' threads; it
is pure Python with no dependencies and runs on every platform.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

import click

from reconciler.cli.log_format import configure_logging
from reconciler.cli.output import note, plans_option, rate_option
from reconciler.errors import ReconcilerError, StoreUnavailable

# Pending connections the kernel keeps while the event loop accepts: a month-start burst of
# deliveries waits here instead of being reset (Linux caps it at net.core.somaxconn).
BACKLOG = 4096
# Open client connections at once; each costs a socket, not a thread.
CONNECTION_LIMIT = 4000
# Threads running the app; requests reach them complete, so this bounds work, not clients.
THREADS = 8
CLIENT_TIMEOUT_SECONDS = 60


def create_server(app: Any, host: str, port: int, client_timeout: int) -> Any:
    """A waitress server for `app` (not yet running; `.run()` serves, `.close()` stops)."""
    from waitress.server import create_server as waitress_server

    from reconciler.runtime.wsgi import MAX_BODY_BYTES

    return waitress_server(
        app,
        host=host,
        port=port,
        threads=THREADS,
        backlog=BACKLOG,
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=client_timeout,
        # Look for idle clients every second, so one is closed within a second of its timeout.
        cleanup_interval=1,
        max_request_body_size=MAX_BODY_BYTES,
        # poll(), not select(): select() cannot watch more than 1,024 sockets.
        asyncore_use_poll=True,
        ident="reconciler",
    )


def flush_every(
    billing: Any,
    interval: float,
    stop: threading.Event,
    flushed: Callable[[int], object] = lambda units: None,
    store_error: Callable[[StoreUnavailable], object] = lambda exc: None,
) -> None:
    """Send metered usage every `interval` seconds until `stop` (errors are logged; the
    usage stays in the store for the next pass). `flushed` is told the units Stripe recorded
    in each pass, `store_error` each store outage (the metrics)."""
    log = logging.getLogger("reconciler.usage")
    while not stop.wait(interval):
        try:
            report = billing.flush_usage()
        except ReconcilerError as exc:
            log.warning("flushing metered usage failed: %s", exc)
            if isinstance(exc, StoreUnavailable):
                store_error(exc)
            continue
        flushed(report.units)
        if report.events or report.failed:
            log.info("metered usage: %s", report.as_dict())


def flush_on_stop(billing: Any) -> None:
    """Send metered usage once more as the process stops (SIGTERM, Ctrl-C), so what it
    counted since the last pass is not left for the next process; what fails stays in the
    store for any other flusher."""
    log = logging.getLogger("reconciler.usage")
    try:
        report = billing.flush_usage()
    except ReconcilerError as exc:
        log.warning("flushing metered usage on stop failed: %s", exc)
        return
    log.info("metered usage flushed on stop: %s", report.as_dict())


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--client-timeout",
    default=CLIENT_TIMEOUT_SECONDS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Close a client connection silent for this many seconds.",
)
@rate_option(
    "Stripe requests per second the re-read queue may use, shared with every process "
    "using the same store [default: 25 for test keys, 100 for live keys].",
    "--stripe-rate",
)
@click.option(
    "--readers",
    default=4,
    show_default=True,
    type=click.IntRange(min=1, max=64),
    help="Threads draining the re-read queue.",
)
@click.option(
    "--flush-interval",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between sends of metered usage to Stripe (usage is aggregated per "
    "customer and meter over this interval).",
)
@click.option(
    "--reread-lease",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds a re-read taken by a worker stays hidden from other workers and replicas; "
    "a replica killed mid-re-read leaves it to the others after this long.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json writes each log line as one JSON object (time, level, logger, message).",
)
@plans_option
def serve(
    host: str,
    port: int,
    client_timeout: int,
    stripe_rate: float | None,
    readers: int,
    flush_interval: float,
    reread_lease: float,
    log_format: str,
    plans_path: str,
) -> int:
    """Serve POST /stripe/webhook, GET /healthz and GET /metrics (Prometheus). Stripe and store
    settings come from the environment: STRIPE_API_KEY, STRIPE_API_BASE, STRIPE_WEBHOOK_SECRET,
    REDIS_URL.

    A verified delivery is recorded and answered at once; the re-read of Stripe it calls for
    is queued in the store and done by --readers threads at --stripe-rate. SIGTERM or Ctrl-C
    stops it cleanly: re-reads under way finish, metered usage is flushed once more, the
    store is closed, exit status 0. Any number of replicas may share one store."""
    from reconciler.runtime.billing import Billing
    from reconciler.runtime.metrics import ServeMetrics
    from reconciler.runtime.sync_queue import QUEUE
    from reconciler.runtime.wsgi import make_app
    from reconciler.stripe_client import observe_stripe_calls

    configure_logging(log_format)
    # With JSON logs, the lines for people are log records too: every line is one object.
    say = logging.getLogger("reconciler.serve").info if log_format == "json" else note
    billing = Billing.from_env(plans_path)
    if not billing.settings.webhook_secret:
        billing.close()
        raise ReconcilerError(
            "STRIPE_WEBHOOK_SECRET is not set: reconciler serve cannot verify webhooks "
            "(copy the endpoint's signing secret, whsec_..., from Stripe)"
        )
    queue = billing.webhook_queue(stripe_rate, reread_lease)
    metrics = ServeMetrics(billing.store, QUEUE)
    queue.on_store_error = metrics.store_error("queue")
    stop_counting = observe_stripe_calls(metrics.stripe_call)
    stop = threading.Event()
    workers = [
        threading.Thread(target=queue.run, args=(stop,), name=f"reader-{i}", daemon=True)
        for i in range(readers)
    ]
    app = metrics.serving(make_app(billing, queued=True, on_delivery=metrics.delivered))
    server = create_server(app, host, port, client_timeout)
    flush_errors = metrics.store_error("usage_flush")
    flush_args = (billing, flush_interval, stop, metrics.flushed, flush_errors)
    workers.append(threading.Thread(target=flush_every, args=flush_args, name="usage", daemon=True))
    for worker in workers:
        worker.start()
    say(
        f"serving webhooks on http://{host}:{server.effective_port}/stripe/webhook "
        f"({billing.store.description}, Stripe key {billing.settings.masked_key}, "
        f"re-reads at {queue.limiter.limit:g}/s)"
    )
    # SIGTERM (systemd, Kubernetes) stops as Ctrl-C does: KeyboardInterrupt, which waitress's
    # loop lets through and answers by returning; then each reader finishes the re-read it is
    # doing (and logs it) and the store is closed, instead of the process dying mid-write.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler) if main else None
    try:
        server.run()
    except KeyboardInterrupt:
        pass  # raised outside waitress's loop
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
        stop.set()
        server.close()
        for worker in workers:
            worker.join(timeout=5)
        flush_on_stop(billing)
        stop_counting()
        billing.close()
    say("stopped")
    return 0
