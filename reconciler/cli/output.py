"""Small helpers the commands share: JSON to stdout, notes to stderr."""

from __future__ import annotations

import json
from typing import Any

import click

FORMAT_CHOICE = click.Choice(["text", "json"])

# The runtime commands read the plans folder for the config and the default plan.
plans_option = click.option(
    "--plans",
    "plans_path",
    default="plans",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The plans folder.",
)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def note(message: str) -> None:
    """A line for people, on stderr, so stdout stays clean for pipes."""
    click.echo(message, err=True)
