"""`reconciler validate`: check plan files and report every problem at once."""

from __future__ import annotations

import click

from reconciler.cli.output import emit_json, format_option, note
from reconciler.plans import load_plans


@click.command()
@click.argument("path", default="plans", type=click.Path(path_type=str))
@format_option("json gives the diagnostics for editors and CI.")
def validate(path: str, fmt: str) -> int:
    """Validate the plan files in PATH (a folder or one file; default: plans).

    Every problem is listed as FILE:LINE:COL: PATH-IN-DOCUMENT: MESSAGE. Exits 0 when the
    plans are valid (warnings allowed), 1 when any error was found.
    """
    result = load_plans(path)
    errors = sum(1 for d in result.diagnostics if d.severity == "error")
    warnings = len(result.diagnostics) - errors
    if fmt == "json":
        emit_json(
            {
                "valid": result.ok,
                "files": result.files,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": [d.to_dict() for d in result.diagnostics],
            }
        )
    else:
        for diagnostic in result.diagnostics:
            click.echo(diagnostic.format())
        if result.ok:
            count = len(result.files)
            extra = f", {warnings} warning(s)" if warnings else ""
            note(f"{path}: {count} file(s) valid{extra}")
        else:
            note(f"{path}: {errors} error(s), {warnings} warning(s)")
    return 0 if result.ok else 1
