"""What `diff` and `apply` share: the same arguments make the same plan, so the fingerprint
reviewed with `diff` matches the one `apply` computes."""

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
# format -> renderer of (plan, the plans folder as given); Markdown's apply hint names it.
RENDERERS: dict[str, Callable[[Plan, str], str]] = {
    "text": lambda plan, _path: render_text(plan),
    "json": lambda plan, _path: render_json(plan),
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
