"""`reconciler diff`: what `apply` would change in Stripe, as text, JSON or Markdown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.cli.output import note
from reconciler.model import Plans
from reconciler.plans import load_plans
from reconciler.reconcile.plan import DiffOptions, Plan
from reconciler.reconcile.render_json import render_json
from reconciler.reconcile.render_markdown import render_markdown
from reconciler.reconcile.render_text import render_text
from reconciler.reconcile.session import Planned, make_plan
from reconciler.stripe_client import StripeSettings, make_client

F = TypeVar("F", bound=Callable[..., Any])
RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}


def plan_options(command: F) -> F:
    """The arguments and options `diff` and `apply` share: the same options make the same
    plan, so the fingerprint reviewed with `diff` matches the one `apply` computes."""
    decorators = [
        click.argument("path", default="plans", type=click.Path(path_type=str)),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(sorted(RENDERERS)),
            default="text",
            show_default=True,
            help="How to print the plan.",
        ),
        click.option(
            "--prune",
            is_flag=True,
            help="Archive managed products and prices the plans no longer declare.",
        ),
        click.option(
            "--adopt",
            is_flag=True,
            help="Take over unmanaged objects matching a product key or lookup key.",
        ),
        click.option(
            "--migrate-subscribers",
            is_flag=True,
            help="Move subscribers of a replaced price to the new one.",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def load_or_report(path: str) -> Plans | None:
    """The plans, or None after printing every diagnostic to stderr."""
    result = load_plans(path)
    for diagnostic in result.diagnostics:
        note(diagnostic.format())
    return result.plans


def plan_for(path: str, prune: bool, adopt: bool, migrate: bool) -> Planned | None:
    plans = load_or_report(path)
    if plans is None:
        return None
    settings = StripeSettings.from_env()
    note(f"reading the Stripe catalog ({settings.mode} mode, key {settings.masked_key})")
    return make_plan(
        plans, make_client(settings, max_network_retries=0), DiffOptions(prune, adopt, migrate)
    )


@click.command()
@plan_options
def diff(path: str, fmt: str, prune: bool, adopt: bool, migrate_subscribers: bool) -> int:
    """Show what `apply` would change in Stripe to match the plan files in PATH.

    Exits 0 when Stripe is in sync, 2 when changes are pending, 1 on an error, so CI can
    fail a check on drift. The output ends with the plan's fingerprint.
    """
    planned = plan_for(path, prune, adopt, migrate_subscribers)
    if planned is None:
        return 1
    click.echo(RENDERERS[fmt](planned.plan), nl=False)
    return 2 if planned.plan.has_changes else 0
