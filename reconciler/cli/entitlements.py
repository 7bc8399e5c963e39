"""`reconciler entitlements ENTITY`: what an entity may do now, from the store and catalog."""

from __future__ import annotations

import click

from reconciler.cli.output import emit_json, format_option, plans_option
from reconciler.metadata import format_feature


@click.command()
@click.argument("entity")
@format_option("json prints the answer as one JSON object.")
@plans_option
def entitlements(entity: str, fmt: str, plans_path: str) -> int:
    """Show ENTITY's status, plan, limits and features."""
    from reconciler.runtime.billing import Billing

    billing = Billing.from_env(plans_path)
    try:
        answer = billing.entitlements(entity)
    finally:
        billing.close()
    if fmt == "json":
        emit_json(answer)
        return 0
    click.echo(f"entity:   {entity}")
    click.echo(f"status:   {answer['status']}")
    click.echo(f"plan:     {answer['plan']}")
    click.echo("limits:")
    for name, value in sorted(answer["limits"].items()):
        click.echo(f"  {name}: {value}")
    click.echo("features:")
    for name, feature in sorted(answer["features"].items()):
        click.echo(f"  {name}: {format_feature(feature)}")
    return 0
