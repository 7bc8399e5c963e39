"""The plan as JSON for machines, following `schemas/plan.schema.json` (schema_version 1)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.reconcile.changes import Note, Unmanaged
from reconciler.reconcile.plan import Plan, change_record

SCHEMA_VERSION = 1


def note_record(note: Note) -> dict[str, Any]:
    return {
        "type": "unmanaged" if isinstance(note, Unmanaged) else "notice",
        "kind": note.kind if isinstance(note, Unmanaged) else None,
        "key": note.key,
        "stripe_id": note.stripe_id,
        "message": note.message,
    }


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-ready dict."""
    return {
        "schema_version": SCHEMA_VERSION,
        "fingerprint": plan.fingerprint,
        "in_sync": not plan.has_changes,
        "options": plan.options.record(),
        "summary": plan.counts(),
        **({"adoptions": plan.adoptions()} if plan.adoptions() else {}),
        "safety": {
            "managed_prices": plan.managed_prices,
            "archived_or_replaced": plan.destructive,
            "refusal": plan.safety_problem(),
        },
        "changes": [change_record(c) for c in plan.changes],
        "notes": [note_record(n) for n in plan.notes],
    }


def render_json(plan: Plan) -> str:
    """Deterministic JSON text (sorted keys, two-space indent) ending in a newline."""
    return (
        json.dumps(plan_document(plan), indent=2, sort_keys=True, ensure_ascii=False, default=str)
        + "\n"
    )
