"""`reconciler usage flush`: send the metered usage recorded by `consume` to Stripe as meter
events (`Billing.flush_usage`); `reconciler serve` does the same every --flush-interval."""

from __future__ import annotations

import click

from reconciler.cli.output import (
    emit_fields,
    emit_json,
    format_option,
    note,
    plans_option,
    rate_option,
)


@click.group()
def usage() -> None:
    """Metered usage (limits with a meter)."""


@usage.command()
@rate_option(
    "Meter event calls per second, shared with every process using the same store "
    "[default: 25 for test keys (the account's basic limit), 1000 for live keys]."
)
@click.option(
    "--lease",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds a batch taken by a sender that died waits before another sender resends it.",
)
@format_option("json prints the report as one JSON object.")
@plans_option
def flush(rate: float | None, lease: float, fmt: str, plans_path: str) -> int:
    """Send every entity's unflushed metered usage to Stripe; exit 1 when some could not be
    sent (it stays in the store for the next run)."""
    from reconciler.runtime.billing import Billing

    billing = Billing.from_env(plans_path)
    try:
        report = billing.flush_usage(rate, lease)
    finally:
        billing.close()
    if fmt == "json":
        emit_json(report.as_dict())
    else:
        emit_fields(
            {
                "events": report.events,
                "units": report.units,
                "duplicates": report.duplicates,
                "no_customer": len(report.no_customer),
                "failed": len(report.failed),
            }
        )
        for entity, error in sorted(report.failed.items()):
            note(f"{entity}: {error}")
    return 1 if report.failed else 0
