"""`reconciler diff`: what `apply` would change in Stripe, as text, JSON or Markdown."""

from __future__ import annotations

import click

from reconciler.cli.planning import plan_for, plan_options, show_plan
from reconciler.reconcile.plan import DiffOptions


@click.command()
@plan_options
def diff(
    path: str,
    fmt: str,
    prune: bool,
    adopt: bool,
    allow_duplicates: bool,
    migrate_subscribers: bool,
    verify_attachments: bool,
) -> int:
    """Show what `apply` would change in Stripe to match the plan files in PATH.

    Exits 0 when Stripe is in sync, 2 when changes are pending, 1 on an error, so CI can
    fail a check on drift. The output ends with the plan's fingerprint.
    """
    planned = plan_for(
        path, DiffOptions(prune, adopt, migrate_subscribers, allow_duplicates), verify_attachments
    )
    if planned is None:
        return 1
    show_plan(fmt, planned.plan, path)
    return 2 if planned.plan.has_changes else 0
