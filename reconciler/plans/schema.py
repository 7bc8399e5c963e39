"""JSON Schema validation of one plan file, turned into located diagnostics.

The schemas live in `reconciler/schemas/` (also at the top-level `schemas/`, for editors).
A schema node may carry `x-message`, the message shown when that node fails: it replaces the
unhelpful "is not valid under any of the given schemas" of `anyOf`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path as FilePath
from typing import Any, Literal

import jsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from reconciler.diagnostics import Diagnostic, format_path
from reconciler.plans.product_schema import product_file_schema
from reconciler.plans.yamldoc import Path, YamlDocument

SchemaName = Literal["product", "config", "objects"]
SCHEMA_DIR = FilePath(__file__).resolve().parent.parent / "schemas"

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a text",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


@cache
def load_schema(name: SchemaName) -> dict[str, Any]:
    """A file kind's schema: the product file's generated from the kinds' declarations."""
    if name == "product":
        return product_file_schema()
    text = (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def write_schemas(folder: FilePath) -> list[FilePath]:
    """Copy every shipped schema (`*.schema.json`) into `folder`, created if missing, byte for
    byte, so editors can follow plan files' `$schema` modelines without this repository."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(SCHEMA_DIR.glob("*.schema.json")):
        target = folder / source.name
        target.write_bytes(source.read_bytes())
        written.append(target)
    return written


@cache
def _validator(name: SchemaName) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def describe(value: Any) -> str:
    """A short name for a YAML value's type, as a user wrote it."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _message(error: ValidationError) -> str:
    schema: Any = error.schema
    value: Any = error.validator_value
    custom = schema.get("x-message") if isinstance(schema, dict) else None
    kind = error.validator
    if custom and kind in ("anyOf", "oneOf", "pattern", "type", "maxLength", "const"):
        return str(custom)
    if kind == "type":
        expected = value
        names = expected if isinstance(expected, list) else [expected]
        words = " or ".join(_TYPE_WORDS.get(str(n), str(n)) for n in names)
        return f"must be {words}, not {describe(error.instance)}"
    if kind == "enum":
        options = ", ".join(str(v) for v in value)
        return f"must be one of {options} (got {error.instance!r})"
    if kind == "const":
        return f"must be {value!r}"
    if kind == "minimum":
        return f"must be at least {value} (got {error.instance})"
    if kind == "maximum":
        return f"must be at most {value} (got {error.instance})"
    if kind == "minLength" and value == 1:
        return "must not be empty"
    if kind == "minLength":
        return f"must be at least {value} characters long"
    if kind == "maxLength":
        return f"must be at most {value} characters long"
    if kind == "minItems":
        return f"must have at least {value} item(s)"
    return error.message


def _diagnostics(error: ValidationError, file: str, doc: YamlDocument) -> list[Diagnostic]:
    path: Path = tuple(error.absolute_path)
    schema: Any = error.schema
    required: Any = error.validator_value
    if error.validator == "required":
        instance: Any = error.instance
        missing = [k for k in required if k not in instance]
        line, col = doc.locate(path)
        return [
            Diagnostic(file, line, col, format_path(path), f"missing required key {key!r}")
            for key in missing
        ]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties", {}))
        out = []
        for key in error.instance:
            if key in allowed:
                continue
            child = (*path, key)
            line, col = doc.locate_key(child)
            options = ", ".join(sorted(allowed))
            out.append(
                Diagnostic(
                    file,
                    line,
                    col,
                    format_path(child),
                    f"unknown key {key!r} (expected one of {options})",
                )
            )
        return out
    line, col = doc.locate(path)
    return [Diagnostic(file, line, col, format_path(path), _message(error))]


def validate_document(name: SchemaName, file: str, doc: YamlDocument) -> list[Diagnostic]:
    """Every schema violation in the document, each at the node that causes it."""
    if not isinstance(doc.data, dict):
        what = describe(doc.data)
        return [Diagnostic(file, 1, 1, "", f"the file must hold a mapping, not {what}")]
    found: list[Diagnostic] = []
    for error in _validator(name).iter_errors(doc.data):
        found.extend(_diagnostics(error, file, doc))
    return sorted(set(found))
