"""Golden file of the steps apply runs, in order, for the two golden plans (products and
prices; every account-level kind): held to the same order and names whatever the engine's
shape. Regenerate with `UPDATE_GOLDEN=1` and review the diff."""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.reconcile.apply import plan_steps
from reconciler.reconcile.plan import Plan
from tests.reconcile.test_render import every_kind_plan
from tests.reconcile.test_render_objects import every_object_kind_plan

GOLDEN = Path(__file__).parent / "golden" / "apply-steps.txt"


def _steps(plan: Plan) -> list[str]:
    return [f"{s.phase} {s.name}: {s.change.key}" for s in plan_steps(plan)]


def test_apply_steps_match_golden_file() -> None:
    lines = ["# products and prices", *_steps(every_kind_plan())]
    lines += ["# account-level kinds", *_steps(every_object_kind_plan())]
    rendered = "\n".join(lines) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(rendered, encoding="utf-8")
    assert rendered == GOLDEN.read_text(encoding="utf-8")
