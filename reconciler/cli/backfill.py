"""`reconciler backfill customers|subscriptions`: bulk work at Stripe's rate limit.

`backfill subscriptions` is the same run as `reconciler sync --all`; both call
`run_sync_all_command` in `reconciler.cli.bulk`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import click

from reconciler.cli.bulk import (
    BulkContext,
    bulk_options,
    finish,
    live_option,
    run_sync_all_command,
)
from reconciler.cli.output import note
from reconciler.errors import ReconcilerError


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReconcilerError(f"cannot read input {path}: {exc}") from exc


@click.group()
def backfill() -> None:
    """Bulk work at Stripe's rate limit, resumable and shareable across workers."""


@backfill.command()
@click.option("--input", "input_path", required=True, help="Entity ids: a file, or - for stdin.")
@click.option(
    "--input-format",
    type=click.Choice(["auto", "ids", "csv", "jsonl"]),
    default="auto",
    show_default=True,
    help="ids: one per line; csv: entity_id[,email,name,customer_id] columns; jsonl: one "
    "object a line.",
)
@click.option("--strict", is_flag=True, help="Abort before any Stripe call if a line is malformed.")
@click.option(
    "--match-metadata",
    "match_metadata",
    metavar="KEY",
    default=None,
    help="Adopt the one existing customer whose metadata KEY (your application's own, such "
    "as user_id) is the entity id.",
)
@click.option(
    "--match-email",
    is_flag=True,
    help="Adopt the one existing customer with the entity's email (the input's email column). "
    "Only for verified emails: the customer's subscriptions then grant that entity.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read the customers and say what a run would match, adopt and create; write nothing.",
)
@bulk_options
@live_option
def customers(
    input_path: str,
    input_format: str,
    strict: bool,
    match_metadata: str | None,
    match_email: bool,
    dry_run: bool,
    live: bool,
    rate: float | None,
    endpoint_rate: float | None,
    concurrency: int | None,
    shard: str,
    report_path: Path | None,
    fmt: str,
) -> int:
    """Give every entity in the input a Stripe customer and map it in the store.

    Entities already mapped cost no Stripe call. One paged pass over customers finds those
    that carry the entity's metadata.entityId (matched) and those your application made
    without it (adopted, metadata.entityId written onto them): named by the input's
    customer_id column, or found by --match-metadata or --match-email; two candidates are
    refused, never guessed. The rest are created with an idempotency key derived from the
    entity id, so a rerun after a crash never duplicates.
    """
    from reconciler.backfill.adopt import MatchRules
    from reconciler.backfill.customers import run_backfill
    from reconciler.backfill.inputs import InputFormat, parse_input
    from reconciler.backfill.progress import Progress

    rules = MatchRules(_match_key(match_metadata), match_email)

    parsed = parse_input(_read(input_path), cast(InputFormat, input_format))
    source = "<stdin>" if input_path == "-" else input_path
    if strict and parsed.problems:
        for problem in parsed.problems:
            note(f"malformed: {problem.format(source)}")
        note(f"{source}: {len(parsed.problems)} malformed line(s); --strict: nothing was done")
        return 1
    if not parsed.entities and not parsed.problems:
        note(f"{source}: no entity ids in the input; nothing to do")
        return 0
    # A dry run writes nothing, so a live key reviews the live account without --live.
    bulk = BulkContext(rate, endpoint_rate, concurrency, shard, live or dry_run)
    try:
        total = sum(1 for e in parsed.entities if bulk.shard.owns(e.entity_id))
        progress = Progress("customers", total, sys.stderr).start()
        try:
            report = run_backfill(
                parsed,
                bulk.shard,
                bulk.client,
                bulk.store,
                bulk.caller,
                bulk.concurrency,
                progress.advance,
                rules,
                dry_run,
            )
        finally:
            progress.close()
    finally:
        bulk.store.close()
    return finish(report, report_path, fmt, source)


def _match_key(key: str | None) -> str | None:
    """`--match-metadata`'s key, as Stripe allows metadata keys (docs.stripe.com/metadata:
    at most 40 characters, no square brackets)."""
    from reconciler.runtime.stripe_calls import ENTITY_ID_KEY

    if key is None:
        return None
    if not key or len(key) > 40 or "[" in key or "]" in key:
        raise click.BadParameter(
            f"{key!r} is not a Stripe metadata key (1-40 characters, no square brackets)",
            param_hint="--match-metadata",
        )
    if key == ENTITY_ID_KEY:
        raise click.BadParameter(
            f"{ENTITY_ID_KEY} is always matched; name your application's own key",
            param_hint="--match-metadata",
        )
    return key


@backfill.command()
@bulk_options
@live_option
def subscriptions(
    live: bool,
    rate: float | None,
    endpoint_rate: float | None,
    concurrency: int | None,
    shard: str,
    report_path: Path | None,
    fmt: str,
) -> int:
    """Refresh the cached subscription of every mapped customer (same as `sync --all`)."""
    return run_sync_all_command(rate, endpoint_rate, concurrency, shard, report_path, fmt, live)
