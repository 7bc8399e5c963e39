"""`reconciler import`: write plan files from the Stripe catalog the key can see."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from reconciler.cli.output import emit_json, format_option, note, rate_option
from reconciler.errors import PlanError
from reconciler.importing.catalog import CONFIG_FILE, ImportResult, catalog_to_plans
from reconciler.model import Config
from reconciler.plans.dump import SCHEMA_FOLDER
from reconciler.plans.merge import merge_entries
from reconciler.plans.schema import write_schemas
from reconciler.ratelimit import LocalRateLimiter, default_rate
from reconciler.stripe_catalog import read_live_catalog, subscriber_counts
from reconciler.stripe_client import StripeSettings, make_client


@click.command("import")
@click.option(
    "--out",
    "out",
    default="plans",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the plan files into.",
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option(
    "--limits-prefix",
    default="limits:",
    show_default=True,
    help="Metadata prefix the account uses for limits; written to reconciler.yaml.",
)
@click.option(
    "--features-prefix",
    default="features:",
    show_default=True,
    help="Metadata prefix the account uses for features; written to reconciler.yaml.",
)
@click.option(
    "--allow-loss",
    is_flag=True,
    help="Write the files even when the account holds values the plan files cannot represent "
    "(each is listed as dropped).",
)
@click.option(
    "--include-archived",
    is_flag=True,
    help="Write every archived product and price and every inactive promotion code too "
    "(archived prices that subscriptions still pay are always written).",
)
@rate_option(
    "Requests per second the reads may use "
    "[default: Stripe's limit for the key: 25 test, 100 live]."
)
@format_option(
    "json prints the files written and the summary (objects written and left out per kind, "
    "grandfathered prices, legacy values kept read-only, values dropped) as one JSON object."
)
def import_plans(
    out: Path,
    force: bool,
    limits_prefix: str,
    features_prefix: str,
    allow_loss: bool,
    include_archived: bool,
    rate: float | None,
    fmt: str,
) -> int:
    """Write one plan file per Stripe product, plus reconciler.yaml, into --out, and the
    JSON Schemas their modelines point at into --out/schemas.

    Reads the account with list calls only, paced at --rate, and writes nothing to Stripe.
    Nothing is skipped: every product, active price, meter, coupon, promotion code,
    Entitlements feature (with the products it is attached to) and portal configuration is
    written, each under the key its kind's identity rules give it (a plan key, a lookup key,
    its own id, or a key made from its name and terms), so a second import writes the same
    files. Archived prices that subscriptions still pay are written inactive, with their
    subscriber count. If the account holds a value the files cannot represent, nothing is
    written and each object and field is listed (--allow-loss writes the files without
    them). Right after an import, `diff` is clean for managed objects; the others need
    `apply --adopt` once.
    """
    settings = StripeSettings.from_env()
    note(f"reading the Stripe catalog ({settings.mode} mode, key {settings.masked_key})")
    if not limits_prefix or not features_prefix or limits_prefix == features_prefix:
        raise click.BadParameter("the prefixes must be non-empty and differ", param_hint="prefix")
    config = Config(limits_prefix=limits_prefix, features_prefix=features_prefix)
    # Entitlements features are read whatever the config says: import finds out whether the
    # account keeps them, and writes `stripe_entitlements` accordingly.
    reading = replace(config, stripe_entitlements=True)
    client = make_client(settings, max_network_retries=0)
    # Every read waits its turn, so a large account is read within Stripe's limit.
    pace = LocalRateLimiter(rate or default_rate(settings.mode)).acquire
    live = read_live_catalog(client, reading, objects=True, every=True, progress=note, pace=pace)
    archived = [p.id for p in live.prices if not p.price.active]
    subscribers = subscriber_counts(client, archived, progress=note, pace=pace)
    result = catalog_to_plans(live, config, subscribers, include_archived)
    if result.lost and not allow_loss:
        listed = "".join(f"\n  {item}" for item in result.lost)
        raise PlanError(
            f"the plan files cannot represent {len(result.lost)} value(s) of the account, "
            f"so nothing was written:{listed}\n--allow-loss writes the files without them"
        )
    written = write_plans(result, out, force)
    # The files' modelines point here, so editors check them wherever the folder goes.
    written += write_schemas(out / SCHEMA_FOLDER)
    if fmt == "json":
        emit_json({"files": [str(p) for p in written], **result.summary()})
        return 0
    for line in summary_lines(result):
        note(line)
    for path in written:
        click.echo(str(path))
    note(f"wrote {len(written)} file(s) to {out}")
    return 0


def summary_lines(result: ImportResult) -> list[str]:
    """The summary for people: counts per kind, then one line per noteworthy object."""
    summary = result.summary()
    lines = ["written: " + ", ".join(f"{k} {n}" for k, n in summary["written"].items())]
    if summary["left_out"]:
        counts = ", ".join(f"{k} {n}" for k, n in summary["left_out"].items())
        lines.append(
            f"left out, archived or inactive: {counts} (--include-archived writes archived "
            "products, prices and coupons and inactive promotion codes)"
        )
    lines += [f"grandfathered: {m}" for m in result.grandfathered]
    lines += [f"read-only: {m}" for m in result.read_only]
    lines += [f"dropped: {m}" for m in result.lost]
    lines += [f"id not written: {m}" for m in result.ids_not_written]
    return lines


def write_plans(result: ImportResult, out: Path, force: bool) -> list[Path]:
    """Write the files into `out` (created if missing); refuse to overwrite without force."""
    targets = [out / name for name in sorted(result.files)]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise PlanError(f"refusing to overwrite {', '.join(existing)} (use --force)")
    out.mkdir(parents=True, exist_ok=True)
    for target in targets:
        text = result.files[target.name]
        if target.name == CONFIG_FILE and target.is_file():
            # Keep what the catalog does not define (default plan, URLs, comments...).
            text = merge_entries(target.read_text(encoding="utf-8"), text) or text
        target.write_text(text, encoding="utf-8")
    return targets
