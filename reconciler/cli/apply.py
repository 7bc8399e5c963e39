"""`reconciler apply`: make Stripe match the plan files, safely."""

from __future__ import annotations

import click

from reconciler.cli.output import note, rate_option
from reconciler.cli.planning import plan_for, plan_options, show_plan
from reconciler.errors import ApplyFailed, PlanRefused
from reconciler.ratelimit import LocalRateLimiter, StripeLimits, default_rate
from reconciler.reconcile.apply import apply_plan
from reconciler.reconcile.plan import DiffOptions
from reconciler.stripe_client import StripeSettings, make_client


@click.command()
@plan_options
@click.option("--yes", is_flag=True, help="Apply the changes (without it: print them, exit 2).")
@click.option(
    "--fingerprint",
    metavar="SHA",
    help="Refuse unless the plan's fingerprint is this one (the reviewed plan).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Apply even when more than 30% of the managed prices would be archived or replaced, "
    "or with a live key and no --fingerprint.",
)
@rate_option(
    "Requests per second the writes may use across endpoints (each endpoint also at "
    "most 25/s, Stripe's default) [default: Stripe's limit for the key: 25 test, 100 live]."
)
def apply(
    path: str,
    fmt: str,
    prune: bool,
    adopt: bool,
    allow_duplicates: bool,
    migrate_subscribers: bool,
    verify_attachments: bool,
    yes: bool,
    fingerprint: str | None,
    force: bool,
    rate: float | None,
) -> int:
    """Apply the plan for PATH to Stripe.

    Prints the plan first. Without --yes it stops there and exits 2 when there are changes
    (a live key always needs --yes, and --fingerprint of the reviewed plan or --force). With
    --yes it writes in a safe order, every write with an idempotency key, and exits 0; on a
    failure it says what was and was not applied and exits 1: running it again converges.
    """
    settings = StripeSettings.from_env()
    if yes and settings.mode == "live" and fingerprint is None and not force:
        # Before the plan is read: the refusal sends nothing anywhere.
        raise PlanRefused(
            f"STRIPE_API_KEY is a live key ({settings.masked_key}): apply writes to your live "
            "Stripe account only the plan that was reviewed; pass --fingerprint SHA (printed "
            "by diff) or --force"
        )
    planned = plan_for(
        path, DiffOptions(prune, adopt, migrate_subscribers, allow_duplicates), verify_attachments
    )
    if planned is None:
        return 1
    plan = planned.plan
    show_plan(fmt, plan, path)
    if fingerprint is not None and fingerprint != plan.fingerprint:
        # Even an empty plan: it may be another folder than the one reviewed.
        changed = "" if plan.has_changes else f" ({path} is in sync: nothing to apply)"
        raise PlanRefused(
            f"the plan for {path} has fingerprint {plan.fingerprint}{changed}, not the reviewed "
            f"{fingerprint}: Stripe or the plan files changed since the review, or {path} is "
            "not the folder that was diffed; run diff again"
        )
    if not plan.has_changes:
        note("Nothing to apply.")
        return 0
    if not yes:
        live = ""
        if settings.mode == "live":
            live = " (a live key also needs --fingerprint of this plan, or --force)"
        note(f"Changes pending; run again with --yes to apply them{live}.")
        return 2
    problem = plan.safety_problem()
    if problem and not force:
        raise PlanRefused(f"refusing to apply: {problem}")
    note(f"applying {len(plan.changes)} change(s) in {settings.mode} mode")
    try:
        limits = StripeLimits(
            lambda _name, rate: LocalRateLimiter(rate), rate or default_rate(settings.mode)
        )
        report = apply_plan(
            plan,
            planned.live,
            make_client(settings, max_network_retries=0),
            progress=_progress,
            pace=limits.acquire,
        )
    except ApplyFailed as exc:
        note(f"error: {exc}")
        note(f"applied ({len(exc.applied)}): {', '.join(exc.applied) or '(none)'}")
        note(f"partly applied ({len(exc.partial)}): {', '.join(exc.partial) or '(none)'}")
        note(f"not applied ({len(exc.pending)}): {', '.join(exc.pending) or '(none)'}")
        note("Run apply again: it diffs Stripe afresh and converges.")
        return 1
    note(f"Applied {len(report.applied)} change(s) with {report.writes} write(s).")
    return 0


def _progress(message: str) -> None:
    note(f"  {message}")
