"""`reconciler sync --customer ID`: re-read one customer's subscriptions and cache the result.

`reconciler sync --all` refreshes every mapped customer (`reconciler.cli.bulk`)."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.bulk import bulk_options, run_sync_all_command
from reconciler.cli.output import emit_fields, emit_json, plans_option


@click.command()
@click.option("--customer", "customer_id", default=None, help="Stripe customer id (cus_...).")
@click.option(
    "--all",
    "all_customers",
    is_flag=True,
    help="Refresh every mapped customer from a paged, rate-limited subscription list.",
)
@plans_option
@bulk_options
def sync(
    customer_id: str | None,
    all_customers: bool,
    plans_path: str,
    rate: float | None,
    endpoint_rate: float | None,
    concurrency: int | None,
    shard: str,
    report_path: Path | None,
    fmt: str,
) -> int:
    """Sync a customer's subscription from Stripe into the store and print it.

    With --all, refresh every mapped customer instead (--rate, --endpoint-rate, --concurrency,
    --shard and --report apply to --all only; --format to both).
    """
    if all_customers == (customer_id is not None):
        raise click.UsageError("give either --customer ID or --all")
    if customer_id is None:
        return run_sync_all_command(rate, endpoint_rate, concurrency, shard, report_path, fmt)
    from reconciler.runtime.billing import Billing

    billing = Billing.from_env(plans_path)
    try:
        cached = billing.sync(customer_id)
    finally:
        billing.close()
    if fmt == "json":
        emit_json(cached)
    else:
        emit_fields({"customer": customer_id, **dict(sorted(cached.items()))})
    return 0
