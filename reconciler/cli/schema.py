"""`reconciler schema`: write the JSON Schemas shipped in the package, for editors."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.output import note
from reconciler.plans.schema import write_schemas


@click.command()
@click.option(
    "--out",
    default="schemas",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the schema files into (created if missing).",
)
def schema(out: Path) -> int:
    """Write the JSON Schemas of plan files (product, config) and of `diff --format json`
    into --out, overwriting older copies.

    Plan files name their schema in a modeline that editors with the YAML language server
    follow: `# yaml-language-server: $schema=schemas/product.schema.json`, relative to the
    file. `import` writes the schemas into `schemas/` inside its folder; for plans whose
    modelines say `../schemas/` (like this repository's), run this beside the plans folder.
    """
    written = write_schemas(out)
    for path in written:
        click.echo(str(path))
    note(f"wrote {len(written)} schema file(s) to {out}")
    return 0
