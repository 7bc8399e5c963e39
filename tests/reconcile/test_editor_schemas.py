"""Plan files' `$schema` modelines resolve for a user who installed the package (no
`schemas/` folder of this repository): checked with the real yaml-language-server, opened
the way an editor opens a file."""

from __future__ import annotations

import shutil
from pathlib import Path

from reconciler.plans.schema import SCHEMA_DIR
from tests.lsp import YamlLanguageServer
from tests.reconcile.conftest import Run

EXAMPLE = Path(__file__).resolve().parents[2] / "plans"
SCHEMAS = ("config.schema.json", "objects.schema.json", "plan.schema.json", "product.schema.json")


def _position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first `needle` in `text`."""
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def test_imported_plans_point_at_schemas_the_editor_loads(
    run: Run, node_tools: Path, tmp_path: Path
) -> None:
    code, _, err = run("apply", str(EXAMPLE), "--yes")
    assert code == 0, err
    out_dir = tmp_path / "imported"
    assert run("import", "--out", str(out_dir))[0] == 0
    pro = (out_dir / "pro.yaml").read_text()
    assert pro.startswith("# yaml-language-server: $schema=schemas/product.schema.json\n")
    broken = out_dir / "broken.yaml"
    broken.write_text(pro.replace("currency: usd", "currency: 12", 1))
    with YamlLanguageServer(node_tools, tmp_path) as editor:
        assert editor.diagnostics(out_dir / "pro.yaml") == []
        assert editor.diagnostics(out_dir / "reconciler.yaml") == []
        # The schema is really applied: a wrong type is reported where it stands.
        line, column = _position(broken.read_text(), "12")
        assert editor.diagnostics(broken) == [(line, column, 'Incorrect type. Expected "string".')]


def test_schema_command_serves_plans_copied_out_of_this_repository(
    run: Run, node_tools: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    plans = shutil.copytree(EXAMPLE, project / "plans")
    missing = project / "schemas" / "product.schema.json"
    with YamlLanguageServer(node_tools, project) as editor:
        assert editor.diagnostics(plans / "pro.yaml") == [
            (2, 1, f"Unable to load schema from '{missing}': No content.")
        ]

    code, out, err = run("schema", "--out", str(project / "schemas"))
    assert code == 0
    assert out.splitlines() == [str(project / "schemas" / name) for name in SCHEMAS]
    assert err == f"wrote 4 schema file(s) to {project / 'schemas'}\n"
    for name in SCHEMAS:
        assert (project / "schemas" / name).read_bytes() == (SCHEMA_DIR / name).read_bytes()

    with YamlLanguageServer(node_tools, project) as editor:
        for path in sorted(plans.glob("*.yaml")):
            assert editor.diagnostics(path) == [], path
