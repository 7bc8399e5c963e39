"""Small helpers the commands share: the --format option, JSON to stdout, notes to stderr."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
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


def format_option(help: str, *more: str) -> Callable[[F], F]:
    """`--format text|json` (parameter `fmt`), the option every command that prints data has;
    `more` adds formats of that command only."""
    choice = click.Choice([*FORMAT_CHOICE.choices, *more]) if more else FORMAT_CHOICE
    return click.option(
        "--format", "fmt", type=choice, default="text", show_default=True, help=help
    )


def rate_option(help: str, name: str = "--rate") -> Callable[[F], F]:
    """A requests-per-second option (a positive number; None: the command's default)."""
    return click.option(name, type=click.FloatRange(min=0, min_open=True), default=None, help=help)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def emit_fields(fields: Mapping[str, Any]) -> None:
    """One `name: value` line per field, names aligned; nested mappings as `k=v` pairs, lists
    as their entries separated by `; `."""
    width = max((len(name) for name in fields), default=0) + 1
    for name, value in fields.items():
        click.echo(f"{name + ':':<{width}} {_text(value)}".rstrip())


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return " ".join(f"{k}={_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    return str(value)


def note(message: str) -> None:
    """A line for people, on stderr, so stdout stays clean for pipes."""
    click.echo(message, err=True)
