"""The plan as Markdown for pull request comments and CI job summaries."""

from __future__ import annotations

import shlex

from reconciler.reconcile.plan import Plan
from reconciler.reconcile.render_text import (
    SYMBOLS,
    detail_lines,
    field_line,
    note_line,
    options_text,
    summary,
    title,
)


def _cell(text: str) -> str:
    # A pipe would end the table cell; backticks would end the code span.
    return text.replace("|", "\\|").replace("`", "'")


def render_markdown(plan: Plan, plans_path: str = "plans") -> str:
    """A heading, a summary, one table row per change, notes, the fingerprint, and the exact
    `apply` command for this plan: same folder (`plans_path`, as given to diff), same options."""
    lines = ["## Stripe plan", ""]
    if not plan.has_changes:
        lines.append("**No changes**: Stripe matches the plan files.")
    else:
        lines.append(f"**{summary(plan)}**")
        lines += ["", "| | Object | Changes |", "|---|---|---|"]
        for change in plan.changes:
            creating = change.action == "create"
            parts = [f"`{_cell(field_line(f, creating))}`" for f in change.fields]
            parts += [_cell(line) for line in detail_lines(change)]
            lines.append(
                f"| `{SYMBOLS[change.action]}` | {change.action} {_cell(title(change))} "
                f"| {'<br>'.join(parts)} |"
            )
    if plan.notes:
        lines += ["", "**Notes**", ""]
        lines += [f"- {_cell(note_line(n)[2:])}" for n in plan.notes]
    problem = plan.safety_problem()
    if problem:
        lines += ["", f"> [!WARNING]\n> Safety rail: {problem}"]
    flags = "" if options_text(plan) == "(none)" else f" {options_text(plan)}"
    lines += [
        "",
        f"Options: {options_text(plan)}",
        "",
        f"Fingerprint: `{plan.fingerprint}`",
        "",
        "Apply exactly this plan with "
        f"`reconciler apply {shlex.quote(plans_path)} --yes{flags} "
        f"--fingerprint {plan.fingerprint}`.",
    ]
    return "\n".join(lines) + "\n"
