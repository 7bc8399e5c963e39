"""What the bulk commands (`backfill customers|subscriptions`, `sync --all`) share: their
options, the client, store and rate limiter of one run, and how a run's summary is printed."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.cli.output import emit_json, format_option, note, rate_option
from reconciler.errors import LiveKeyRefused, ReconcilerError

F = TypeVar("F", bound=Callable[..., Any])
# Requests in flight by default: enough for the rate at 250 ms per round trip.
ROUND_TRIP_SECONDS = 0.25
MIN_CONCURRENCY = 4
# More threads than this only contend for the GIL and the store's connections in one process;
# run more processes (--shard) to go further.
MAX_DEFAULT_CONCURRENCY = 32


def live_option(fn: F) -> F:
    """`--live`: the statement of intent a live key needs before a bulk run writes."""
    return click.option(
        "--live",
        is_flag=True,
        help="Confirm a run with a live key (sk_live_/rk_live_): it writes to your live "
        "Stripe account. Refused without it.",
    )(fn)


def bulk_options(fn: F) -> F:
    """The options every bulk command shares: rate, concurrency, shard, report, format."""
    options = [
        rate_option(
            "Stripe requests per second allowed for the account, shared by every worker "
            "using the same store [default: 25 for test keys, 100 for live keys]."
        ),
        rate_option(
            "Stripe requests per second allowed for each API endpoint (e.g. POST "
            "/v1/customers), shared likewise [default: 25, Stripe's default per endpoint].",
            "--endpoint-rate",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(min=1, max=256),
            default=None,
            help="Requests in flight at once in this process "
            "[default: the lower rate / 4, from 4 to 32: enough for 250 ms round trips].",
        ),
        click.option(
            "--shard",
            default="1/1",
            show_default=True,
            help="Handle only the entities whose hash falls in bucket i of n (1-based).",
        ),
        click.option(
            "--report",
            "report_path",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="Also write the summary as JSON to this file.",
        ),
        format_option("json prints the summary as JSON on stdout."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


class BulkContext:
    """The Stripe client, store, shard and paced caller of one bulk run."""

    def __init__(
        self,
        rate: float | None,
        endpoint_rate: float | None,
        concurrency: int | None,
        shard: str,
        live: bool = True,
    ) -> None:
        from reconciler.backfill.calls import ApiCaller
        from reconciler.backfill.shard import Shard
        from reconciler.ratelimit import (
            ENDPOINT_RATE,
            default_rate,
            limiter_name,
            shared_limits,
        )
        from reconciler.runtime.store.factory import open_store
        from reconciler.stripe_client import StripeSettings, make_client

        self.shard = Shard.parse(shard)
        settings = StripeSettings.from_env()
        if settings.mode == "live" and not live:
            # Before any client exists: the refusal sends nothing anywhere.
            raise LiveKeyRefused(
                f"STRIPE_API_KEY is a live key ({settings.masked_key}): this run would write "
                "to your live Stripe account; pass --live to confirm"
            )
        # Retries are ours (paced by the limiter, 429 included), not the SDK's.
        self.client = make_client(settings, max_network_retries=0)
        self.store = open_store(os.environ.get("REDIS_URL"), record_cache=False)
        limit = rate if rate is not None else default_rate(settings.mode)
        endpoint = endpoint_rate if endpoint_rate is not None else ENDPOINT_RATE
        limits = shared_limits(self.store, limiter_name(settings.mode), limit, endpoint)
        self.caller = ApiCaller(limits)
        # A bulk run sends nearly all its requests to one endpoint: its limit is the pace.
        pace = limits.sustained
        self.concurrency = concurrency or min(
            MAX_DEFAULT_CONCURRENCY, max(MIN_CONCURRENCY, math.ceil(pace * ROUND_TRIP_SECONDS))
        )
        note(
            f"{settings.mode} mode ({settings.masked_key}), store: {self.store.description}, "
            f"rate limits {limit:g}/s global and {endpoint:g}/s per endpoint, shared, "
            f"concurrency {self.concurrency}, shard {self.shard}"
        )


def finish(report: Any, report_path: Path | None, fmt: str, source: str = "input") -> int:
    """Write the report file, print the summary, pick the exit code (0 ok, 1 anything failed
    or malformed)."""
    data = report.to_dict()
    if report_path is not None:
        try:
            report_path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        except OSError as exc:
            raise ReconcilerError(f"cannot write the report to {report_path}: {exc}") from exc
    if fmt == "json":
        emit_json(data)
    else:
        click.echo(report.render_text(source))
    return 0 if report.ok else 1


def run_sync_all_command(
    rate: float | None,
    endpoint_rate: float | None,
    concurrency: int | None,
    shard: str,
    report_path: Path | None,
    fmt: str,
    live: bool = True,
) -> int:
    """`sync --all` (and `backfill subscriptions`): refresh every mapped customer's cache.
    `live=False` refuses a live key (`backfill` asks for `--live`)."""
    from reconciler.backfill.progress import Progress, handover
    from reconciler.backfill.subscriptions import run_sync_all

    bulk = BulkContext(rate, endpoint_rate, concurrency, shard, live)
    try:
        listed = Progress("subscriptions read", 0, sys.stderr).start()
        written = Progress("customers synced", 0, sys.stderr)
        try:
            report = run_sync_all(
                bulk.client,
                bulk.store,
                bulk.caller,
                bulk.shard,
                bulk.concurrency,
                listed.advance,
                # The writes start once the listing is done: their line takes over then.
                handover(listed, written),
            )
        finally:
            listed.close()
            written.close()
    finally:
        bulk.store.close()
    return finish(report, report_path, fmt)
