"""The JSON Schema of a product file, generated from the kinds' declarations.

The generated schema validates plan files; a copy is checked in (`reconciler/schemas/`, linked
from the top-level `schemas/` for editors) and a test fails when it differs from what this module
generates. Regenerate with `scripts/generate-schema`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from reconciler.kinds import PRICE, PRODUCT

# Shared definitions the declarations refer to (`#/$defs/...`).
DEFS: dict[str, Any] = {
    "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
    "limit_amount": {"anyOf": [{"type": "integer", "minimum": 0}, {"const": "unlimited"}]},
    "limits": {
        "description": "Limit name -> non-negative integer or 'unlimited', or {per_unit: N} "
        "(N times the granting item's quantity) or {value: N}, either with optional reset "
        "(day, week, month, year, billing_period, never) and meter (a meter's event name); "
        "pushed as metadata limits:<name>.",
        "type": "object",
        "additionalProperties": {
            "x-message": "must be a non-negative integer, 'unlimited', or an object with "
            "exactly one of per_unit or value, and optional reset and meter",
            "anyOf": [
                {"$ref": "#/$defs/limit_amount"},
                {
                    "type": "object",
                    "properties": {
                        "value": {"$ref": "#/$defs/limit_amount"},
                        "per_unit": {"$ref": "#/$defs/limit_amount"},
                        "reset": {
                            "enum": ["day", "week", "month", "year", "billing_period", "never"]
                        },
                        "meter": {
                            "type": "string",
                            "pattern": "^[A-Za-z0-9_.:-]+$",
                            "maxLength": 100,
                        },
                    },
                    "additionalProperties": False,
                    "oneOf": [{"required": ["value"]}, {"required": ["per_unit"]}],
                },
            ],
        },
    },
    "features": {
        "description": "Feature name -> boolean, number or short text; pushed as metadata "
        "features:<name>.",
        "type": "object",
        "additionalProperties": {
            "x-message": "must be a boolean, a number or a text",
            "type": ["boolean", "number", "string"],
        },
    },
    "amount": {
        "description": "Minor units (cents for USD): an integer, or a decimal string for "
        "fractions of a minor unit.",
        "x-message": 'must be a non-negative integer or a decimal string such as "12.5" '
        "(minor units)",
        "anyOf": [
            {"type": "integer", "minimum": 0},
            {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"},
        ],
    },
}


def product_file_schema() -> dict[str, Any]:
    """One product, its prices, and the limits and features it grants."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:reconciler:schema:product",
        "title": "reconciler product file",
        "description": "One product, its prices, and the limits and features it grants.",
        "type": "object",
        "required": ["product"],
        "additionalProperties": False,
        "properties": {
            "product": PRODUCT.schema(),
            "limits": {"$ref": "#/$defs/limits"},
            "features": {"$ref": "#/$defs/features"},
            "prices": {"type": "array", "items": {"$ref": "#/$defs/price"}},
        },
        "$defs": {**DEFS, "price": PRICE.schema()},
    }


def schema_text() -> str:
    return json.dumps(product_file_schema(), indent=2, ensure_ascii=False) + "\n"


# The checked-in copy (the top-level `schemas/` links to this folder, for editors).
CHECKED_IN = (Path(__file__).resolve().parent.parent / "schemas" / "product.schema.json",)


def main() -> int:
    """Write the generated schemas (product file, objects file) over the checked-in copies."""
    from reconciler.plans.objects import OBJECTS_SCHEMA_FILE, objects_schema_text

    written = [(path, schema_text()) for path in CHECKED_IN]
    written.append((OBJECTS_SCHEMA_FILE, objects_schema_text()))
    for path, text in written:
        path.write_text(text, encoding="utf-8")
        print(path, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
