"""`reconciler validate`: check plan files and report every problem at once."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

import click

from reconciler.cli.output import emit_json, format_option, note
from reconciler.plans import load_plans


def folders_of(files: Iterable[str]) -> list[str]:
    """The folder holding each file, once each, in the order first seen (`plans/pro.yaml` ->
    `plans`; a file at the top -> `.`)."""
    return list(dict.fromkeys(str(PurePath(f).parent) for f in files))


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@format_option(
    "json gives the diagnostics for editors; github prints each problem as a GitHub Actions "
    "workflow command, an annotation on the pull request's line.",
    "github",
)
@click.option(
    "--folders-of-files",
    is_flag=True,
    help="PATHS are files: validate the folder holding each, once each (the pre-commit hook).",
)
def validate(paths: tuple[str, ...], fmt: str, folders_of_files: bool) -> int:
    """Validate the plan files in each PATH (a folder or one file; default: plans).

    Every problem is listed as FILE:LINE:COL: PATH-IN-DOCUMENT: MESSAGE. Exits 0 when the
    plans are valid (warnings allowed), 1 when any error was found.
    """
    targets = folders_of(paths) if folders_of_files else list(paths or ["plans"])
    results = [(target, load_plans(target)) for target in targets]
    diagnostics = [d for _, result in results for d in result.diagnostics]
    errors = sum(1 for d in diagnostics if d.severity == "error")
    ok = all(result.ok for _, result in results)
    if fmt == "json":
        emit_json(
            {
                "valid": ok,
                "files": [f for _, result in results for f in result.files],
                "errors": errors,
                "warnings": len(diagnostics) - errors,
                "diagnostics": [d.to_dict() for d in diagnostics],
            }
        )
        return 0 if ok else 1
    for target, result in results:
        for diagnostic in result.diagnostics:
            click.echo(diagnostic.workflow_command() if fmt == "github" else diagnostic.format())
        found = sum(1 for d in result.diagnostics if d.severity == "error")
        warnings = len(result.diagnostics) - found
        if result.ok:
            extra = f", {warnings} warning(s)" if warnings else ""
            note(f"{target}: {len(result.files)} file(s) valid{extra}")
        else:
            note(f"{target}: {found} error(s), {warnings} warning(s)")
    return 0 if ok else 1
