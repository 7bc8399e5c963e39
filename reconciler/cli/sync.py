"""`reconciler sync --customer ID`: re-read one customer's subscriptions and cache the result."""

from __future__ import annotations

import click

from reconciler.cli.output import emit_json


@click.command()
@click.option("--customer", "customer_id", required=True, help="Stripe customer id (cus_...).")
@click.option(
    "--plans",
    "plans_path",
    default="plans",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The plans folder.",
)
def sync(customer_id: str, plans_path: str) -> int:
    """Sync a customer's subscription from Stripe into the store and print it as JSON."""
    from reconciler.runtime.billing import Billing

    billing = Billing.from_env(plans_path)
    try:
        emit_json(billing.sync(customer_id))
    finally:
        billing.close()
    return 0
