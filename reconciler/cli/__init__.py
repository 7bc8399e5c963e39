"""The `reconciler` command line: a thin click group over library functions.

Each subcommand lives in its own module and is imported only when invoked, so
`reconciler emulator` or `reconciler validate` start without loading the rest.
Exit codes: 0 success, 1 error (including usage errors), 2 changes pending.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from reconciler.errors import ReconcilerError

# Subcommand name -> "module:attribute" of its click command. Add one line per command.
COMMANDS: dict[str, str] = {
    "backfill": "reconciler.cli.backfill:backfill",
    "emulator": "reconciler.cli.emulator:emulator",
    "validate": "reconciler.cli.validate:validate",
    "diff": "reconciler.cli.diff:diff",
    "apply": "reconciler.cli.apply:apply",
    "import": "reconciler.cli.import_plans:import_plans",
    "entitlements": "reconciler.cli.entitlements:entitlements",
    "sync": "reconciler.cli.sync:sync",
    "serve": "reconciler.cli.serve:serve",
}


class LazyGroup(click.Group):
    """A click group that imports each subcommand's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show a traceback for unexpected errors.")
@click.version_option(package_name="reconciler")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Stripe billing as code: plan files in git, reconciled with Stripe.

    Start with `reconciler validate plans/`. Stripe settings come from the
    environment: STRIPE_API_KEY, STRIPE_API_BASE, STRIPE_WEBHOOK_SECRET.
    """
    ctx.obj = {"debug": debug}


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with the command's code; usage errors exit 1 (click's 2 would
    read as "changes pending")."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        code: Any = cli.main(args=argv, prog_name="reconciler", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(1)
    except ReconcilerError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)",
            err=True,
        )
        sys.exit(1)
