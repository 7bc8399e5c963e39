"""Read a plans folder (or one file): every problem collected, then the model if there are none."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.diagnostics import Diagnostic, has_errors
from reconciler.model import Plans
from reconciler.plans.build import build_catalog, build_config, with_objects
from reconciler.plans.checks import SourceFile, check_sources
from reconciler.plans.objects import build_objects, is_objects_file
from reconciler.plans.objects_checks import check_meter_references, check_objects
from reconciler.plans.schema import SchemaName, validate_document
from reconciler.plans.yamldoc import YamlDocument, YamlSyntaxError, parse_yaml

CONFIG_NAMES = ("reconciler.yaml", "reconciler.yml")
PLAN_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadResult:
    """The loaded plans (None when any error was found) and every diagnostic, sorted."""

    plans: Plans | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.plans is not None


def _file_problem(file: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(file, line, column, "", message)


def _read(path: Path, shown: str) -> YamlDocument | Diagnostic:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return _file_problem(shown, f"cannot read the file: {exc.strerror}")
    if b"\x00" in raw:
        return _file_problem(shown, "not a text file (it contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _file_problem(shown, f"not a UTF-8 text file (invalid byte at offset {exc.start})")
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError as exc:
        return _file_problem(shown, str(exc), exc.line, exc.column)
    if doc is None:
        return _file_problem(shown, "the file is empty")
    return doc


def _entry_problem(path: Path) -> str | None:
    """Why a folder entry named like a plan file cannot be read as one; None when it can.
    Nothing is skipped silently: a FIFO would block a reader, a link loop never resolves."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop, not a plan file"
        if exc.errno == errno.ENOENT and path.is_symlink():
            return f"a symbolic link to {os.readlink(path)}, which does not exist"
        return f"cannot read the file: {exc.strerror}"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder named like a plan file (plan files are not looked for in subfolders)"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file"
    return "not a regular file"


def discover(root: Path) -> tuple[list[Path], list[Diagnostic]]:
    """The plan files under `root` (a folder, or a single file), sorted by name, and a
    problem for each entry named like a plan file that is not a readable regular file."""
    shown = str(root)
    if root.is_file():
        return [root], []
    if not root.exists():
        return [], [_file_problem(shown, "no such file or folder")]
    if not root.is_dir():
        return [], [_file_problem(shown, "not a file or folder")]
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for path in sorted(p for p in root.iterdir() if p.suffix in PLAN_SUFFIXES):
        problem = _entry_problem(path)
        if problem is None:
            files.append(path)
        else:
            problems.append(_file_problem(str(path), problem))
    if not any(p.name not in CONFIG_NAMES for p in files):
        nothing = _file_problem(shown, "no plan files (*.yaml or *.yml) in this folder")
        return [], problems or [nothing]
    return files, problems


def load_plans(root: str | Path) -> LoadResult:
    """Validate and load a plans folder; never raises for a problem in the user's files."""
    files, diagnostics = discover(Path(root))
    if not files:
        return LoadResult(None, diagnostics)
    sources: list[SourceFile] = []
    for path in files:
        shown = str(path)
        doc = _read(path, shown)
        if isinstance(doc, Diagnostic):
            diagnostics.append(doc)
            continue
        kind: SchemaName = "config" if path.name in CONFIG_NAMES else "product"
        if kind == "product" and is_objects_file(doc.data):
            kind = "objects"
        schema_problems = validate_document(kind, shown, doc)
        diagnostics.extend(schema_problems)
        if isinstance(doc.data, dict):
            sources.append(SourceFile(shown, kind, doc))
    diagnostics.extend(check_sources(sources))
    lookup_keys = {
        str(s.doc.data["product"].get("key")): {
            str(p.get("lookup_key")) for p in s.doc.data.get("prices") or () if isinstance(p, dict)
        }
        for s in sources
        if s.kind == "product" and isinstance(s.doc.data.get("product"), dict)
    }
    objects = [(s.file, s.doc) for s in sources if s.kind == "objects"]
    diagnostics.extend(check_objects(objects, lookup_keys))
    products_docs = [(s.file, s.doc) for s in sources if s.kind == "product"]
    diagnostics.extend(check_meter_references(products_docs, objects))
    diagnostics = sorted(set(diagnostics))
    shown_files = [str(p) for p in files]
    if has_errors(diagnostics):
        return LoadResult(None, diagnostics, shown_files)
    config_data: dict[str, object] = next((s.doc.data for s in sources if s.kind == "config"), {})
    products = [s.doc.data for s in sources if s.kind == "product"]
    config = build_config(config_data)
    declared = build_objects([s.doc.data for s in sources if s.kind == "objects"])
    catalog = build_catalog(products)
    plans = Plans(with_objects(catalog, declared, config), config)
    return LoadResult(plans, diagnostics, shown_files)
