"""The `reconciler` command line: a thin click group over library functions.

Each subcommand lives in its own module and is imported only when invoked, so
`reconciler emulator` or `reconciler validate` start without loading the rest. Commands
share helpers through `output`, `planning` and `bulk`, never through each other's modules.
`main(argv) -> int` is the entry point (pre-commit's model): it returns the exit code,
0 success, 1 error (including usage errors), 2 changes pending; nothing below it exits.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence

import click

from reconciler.cli.log_format import error_line
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
    "schema": "reconciler.cli.schema:schema",
    "usage": "reconciler.cli.usage:usage",
    "webhooks": "reconciler.cli.webhooks:webhooks",
}
DEBUG_FLAG = "--debug"


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
@click.option(
    DEBUG_FLAG, is_flag=True, help="Show a traceback for unexpected errors (anywhere on the line)."
)
@click.version_option(package_name="reconciler")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Stripe billing as code: plan files in git, reconciled with Stripe.

    Start with `reconciler validate plans/`. Stripe settings come from the
    environment: STRIPE_API_KEY, STRIPE_API_BASE, STRIPE_WEBHOOK_SECRET.
    """
    ctx.obj = {"debug": debug or bool(ctx.obj and ctx.obj.get("debug"))}


def split_debug(argv: Sequence[str]) -> tuple[list[str], bool]:
    """`argv` without `--debug`, and whether it was there: the flag counts anywhere before a
    `--` that ends the options, so `reconciler diff plans --debug` works like
    `reconciler --debug diff plans`."""
    args = list(argv)
    end = args.index("--") if "--" in args else len(args)
    debug = DEBUG_FLAG in args[:end]
    return [a for a in args[:end] if a != DEBUG_FLAG] + args[end:], debug


class EchoHandler(logging.Handler):
    """Log records as plain lines on whatever stderr is at the time (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def log_retries_to_stderr() -> None:
    """Each retry of a Stripe call (`reconciler.retry`) becomes a line on stderr."""
    logger = logging.getLogger("reconciler.retry")
    if not any(isinstance(h, EchoHandler) for h in logger.handlers):
        logger.addHandler(EchoHandler())
        logger.setLevel(logging.INFO)
        logger.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code; usage errors give 1 (click's 2 would
    read as "changes pending")."""
    args, debug = split_debug(sys.argv[1:] if argv is None else argv)
    log_retries_to_stderr()
    try:
        code = cli.main(
            args=args, prog_name="reconciler", standalone_mode=False, obj={"debug": debug}
        )
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return 1
    except ReconcilerError as exc:
        if debug:
            raise
        click.echo(error_line(str(exc)), err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except Exception as exc:
        if debug:
            raise
        message = f"internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)"
        click.echo(error_line(message, plain_prefix=""), err=True)
        return 1
    return code if isinstance(code, int) else 0
