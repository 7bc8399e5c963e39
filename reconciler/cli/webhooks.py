"""`reconciler webhooks check`: whether the account's webhook endpoints send the events that
keep the runtime's cache true (`reconciler.runtime.webhook_setup`). Read-only."""

from __future__ import annotations

import click

from reconciler.cli.output import emit_json, format_option, note


@click.group()
def webhooks() -> None:
    """The account's webhook endpoints, as the runtime needs them."""


@webhooks.command()
@click.option(
    "--url",
    default=None,
    help="The URL Stripe should post to (where `serve` answers POST /stripe/webhook); "
    "default: every endpoint of the account.",
)
@format_option("json prints the check as one JSON object.")
def check(url: str | None, fmt: str) -> int:
    """Check that an enabled webhook endpoint sends the customer.subscription events the
    cache needs; list the recommended events each endpoint leaves out. Exit 1 when none
    does. Reads the endpoints only."""
    from reconciler.retry import DEFAULT_POLICY
    from reconciler.runtime.webhook_setup import RECOMMENDED_EVENTS, check_endpoints
    from reconciler.stripe_catalog import list_all
    from reconciler.stripe_catalog.paging import page_caller
    from reconciler.stripe_client import StripeSettings, make_client, stripe_errors

    settings = StripeSettings.from_env()
    client = make_client(settings, max_network_retries=0)
    with stripe_errors("listing webhook endpoints"):
        listed = list(list_all(client.v1.webhook_endpoints, {}, page_caller(DEFAULT_POLICY)))
    result = check_endpoints(listed, url)
    if fmt == "json":
        emit_json(result.as_dict())
    else:
        for endpoint in result.endpoints:
            if endpoint.status != "enabled":
                verdict = "delivers nothing"
            else:
                verdict = "misses required events" if endpoint.missing else "serves the runtime"
            click.echo(f"{endpoint.id} {endpoint.url} ({endpoint.status}): {verdict}")
            if endpoint.missing:
                click.echo(f"  missing: {', '.join(endpoint.missing)}")
            if endpoint.not_sent:
                shown = len(endpoint.not_sent)
                click.echo(
                    f"  recommended, not sent: {shown} of {len(RECOMMENDED_EVENTS)} "
                    f"({', '.join(endpoint.not_sent)})"
                )
    problem = result.problem()
    if problem is not None:
        note(f"error: {problem}")
        return 1
    return 0
