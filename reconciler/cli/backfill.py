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
    help="ids: one per line; csv: entity_id[,email,name] columns; jsonl: one object a line.",
)
@click.option("--strict", is_flag=True, help="Abort before any Stripe call if a line is malformed.")
@bulk_options
@live_option
def customers(
    input_path: str,
    input_format: str,
    strict: bool,
    live: bool,
    rate: float | None,
    endpoint_rate: float | None,
    concurrency: int | None,
    shard: str,
    report_path: Path | None,
    fmt: str,
) -> int:
    """Give every entity in the input a Stripe customer and map it in the store.

    Entities already mapped cost no Stripe call; existing customers with a matching
    metadata.entityId are adopted (one paged pass over customers); the rest are created with
    an idempotency key derived from the entity id, so a rerun after a crash never duplicates.
    """
    from reconciler.backfill.customers import run_backfill
    from reconciler.backfill.inputs import InputFormat, parse_input
    from reconciler.backfill.progress import Progress

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
    bulk = BulkContext(rate, endpoint_rate, concurrency, shard, live)
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
            )
        finally:
            progress.close()
    finally:
        bulk.store.close()
    return finish(report, report_path, fmt, source)


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
