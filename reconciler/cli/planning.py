"""What `diff` and `apply` share: the same arguments make the same plan, so the fingerprint
reviewed with `diff` matches the one `apply` computes."""

from __future__ import annotations

import os
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


# The first line of each change, coloured by its action as Terraform colours its plan.
STYLES = {"+": "green", "~": "yellow", "-/+": "magenta", "-": "red", "<-": "cyan", "!": "yellow"}


def colour_plan(text: str) -> str:
    """The text plan with each change's (and warning's) first line coloured by its symbol."""
    out = []
    for line in text.splitlines(keepends=True):
        colour = STYLES.get(line.split(" ", 1)[0])
        body = line.rstrip("\n")
        out.append(click.style(body, fg=colour) + line[len(body) :] if colour else line)
    return "".join(out)


def colour_wanted() -> bool | None:
    """False when NO_COLOR is set and not empty (no-color.org); else None, so click colours
    a terminal and strips the colour from pipes and files."""
    return False if os.environ.get("NO_COLOR") else None


def show_plan(fmt: str, plan: Plan, path: str) -> None:
    """Print the plan on stdout in `fmt`; the text form in colour on a terminal."""
    text = RENDERERS[fmt](plan, path)
    if fmt == "text":
        click.echo(colour_plan(text), nl=False, color=colour_wanted())
    else:
        click.echo(text, nl=False)


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
            help="Take over unmanaged objects the plan files name: by plan key or lookup key, "
            "by the key `import` gives an object made by hand, by a coupon's chosen id, or by "
            "shape (a product by its name, a price by its terms, a coupon by both). Writes only "
            "the identity (metadata, lookup key) onto each; ids, defaults and subscribers stay.",
        ),
        click.option(
            "--allow-duplicates",
            is_flag=True,
            help="Create a declared product, price or coupon even where several unmanaged objects "
            "could be it (without it the plan names them and creates nothing).",
        ),
        click.option(
            "--migrate-subscribers",
            is_flag=True,
            help="Move subscribers of a replaced price to the new one.",
        ),
        click.option(
            "--verify-attachments",
            is_flag=True,
            help="With stripe_entitlements: read every product's attached features (one call "
            "each) instead of trusting the marker apply records on it; finds features attached "
            "or removed by hand.",
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


def plan_for(path: str, options: DiffOptions, verify: bool = False) -> Planned | None:
    plans = load_or_report(path)
    if plans is None:
        return None
    settings = StripeSettings.from_env()
    note(f"reading the Stripe catalog ({settings.mode} mode, key {settings.masked_key})")
    return make_plan(
        plans,
        make_client(settings, max_network_retries=0),
        options,
        verify=verify,
    )
