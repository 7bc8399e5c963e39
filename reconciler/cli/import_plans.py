"""`reconciler import`: write plan files from the Stripe catalog the key can see."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from reconciler.cli.output import emit_json, format_option, note
from reconciler.errors import PlanError
from reconciler.model import Config
from reconciler.plans.dump import SCHEMA_FOLDER
from reconciler.plans.merge import merge_entries
from reconciler.plans.schema import write_schemas
from reconciler.reconcile.importer import CONFIG_FILE, ImportResult, catalog_to_plans
from reconciler.stripe_catalog import read_live_catalog
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
@format_option(
    "json prints the files written, the objects skipped and the values dropped as one JSON object."
)
def import_plans(
    out: Path, force: bool, limits_prefix: str, features_prefix: str, allow_loss: bool, fmt: str
) -> int:
    """Write one plan file per Stripe product, plus reconciler.yaml, into --out, and the
    JSON Schemas their modelines point at into --out/schemas.

    Reads products and prices with list calls only and writes nothing to Stripe. Products
    are identified by their plan-key metadata, or else through their prices' lookup keys;
    objects that cannot be identified are skipped and listed. Every field the plan format
    knows is written; if the account holds a value it cannot represent, nothing is written
    and each object and field is listed (--allow-loss writes the files without them). Right
    after an import, `diff` is clean for managed objects; unmanaged ones need `apply --adopt`
    once.
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
    result = catalog_to_plans(read_live_catalog(client, reading, objects=True), config)
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
        emit_json(
            {
                "files": [str(p) for p in written],
                "skipped": list(result.skipped),
                "dropped": list(result.lost),
            }
        )
        return 0
    for message in result.skipped:
        note(f"skipped: {message}")
    for message in result.lost:
        note(f"dropped: {message}")
    for path in written:
        click.echo(str(path))
    note(f"wrote {len(written)} file(s) to {out}")
    return 0


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
