"""The plan as text, like Terraform's: `+` create, `~` update, `-/+` replace, `-` archive,
`<-` adopt (an object made by hand takes the identity the plan files give it),
each followed by `field: before -> after`. Renders only; every decision was made by the diff.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.kinds import KINDS
from reconciler.reconcile.changes import (
    Carried,
    Change,
    EntitlementImpact,
    FieldChange,
    Note,
    Unmanaged,
)
from reconciler.reconcile.plan import Plan
from reconciler.reconcile.state import replacement_reasons

SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "archive": "-", "adopt": "<-"}


def value(raw: Any) -> str:
    """A field value as shown: JSON spelling, `(none)` for an absent value."""
    if raw is None:
        return "(none)"
    return json.dumps(raw, sort_keys=True, ensure_ascii=False)


def field_line(item: FieldChange, creating: bool) -> str:
    if creating:
        return f"{item.path}: {value(item.after)}"
    return f"{item.path}: {value(item.before)} -> {value(item.after)}"


def title(change: Change) -> str:
    """`product pro (prod_123)` / `price pro_monthly (price_123)`: kind, key and Stripe id
    (shown once for an object known by its id alone)."""
    name = change.key.split(":", 1)[1]
    shown = change.stripe_id if not name.endswith(f"({change.stripe_id})") else None
    return f"{change.kind} {name}" + (f" ({shown})" if shown else "")


def impact_lines(impact: EntitlementImpact | None) -> list[str]:
    if impact is None or impact.subscriptions == 0:
        return []
    if not (impact.gained or impact.lost or impact.changed):
        return []
    lines = [f"entitlements: {impact.subscriptions} active or trialing subscription(s)"]
    for label, items in (
        ("gain", impact.gained),
        ("lose", impact.lost),
        ("change", impact.changed),
    ):
        lines.extend(f"  {label}: {item}" for item in items)
    return lines


def detail_lines(change: Change) -> list[str]:
    """What the change does beyond its fields, in words (shared with the markdown output)."""
    lines: list[str] = []
    rules = KINDS[change.kind].rules
    noun = rules.noun
    carried = change.carried
    if change.action == "replace" and carried is not None:
        forced = replacement_reasons(change.kind, change.before or {}, change.after or {})
        if forced or carried.follows_meter is None:
            lines.append(f"replaced because Stripe cannot change {', '.join(forced)} in place")
        if carried.moves_default:
            owner = KINDS[rules.parent].rules.noun if rules.parent else "parent"
            lines.append(f"the {owner}'s default {noun} moves to the new {noun}")
        subs = change.impact.subscriptions if change.impact is not None else None
        if carried.follows_meter is not None:
            lines.extend(_follower_lines(change, carried, subs))
        elif carried.migrate_subscribers:
            lines.append(f"subscribers move to the new {noun} ({carried.proration_behavior})")
        elif subs is not None:
            lines.append(
                f"{subs} subscription(s) stay on the old {noun} (--migrate-subscribers moves them)"
            )
    if change.reason:
        lines.append(f"reason: {change.reason}")
    if change.action == "adopt" and change.impact is not None:
        archived = (change.after or {}).get("active") is False
        lines.append(
            f"{change.impact.subscriptions} active or trialing subscription(s) "
            + (f"still pay this archived {noun}: they keep it" if archived else "pay it")
        )
    lines.extend(impact_lines(change.impact))
    return lines


def _follower_lines(change: Change, carried: Carried, subs: int | None) -> list[str]:
    """What happens to the subscribers of a price that follows its replaced meter: usage
    reported with the event name reaches only the active meter (a deactivated one accepts no
    events: docs.stripe.com/api/billing/meter/deactivate)."""
    rules = KINDS[change.kind].rules
    noun, followed = rules.noun, KINDS[str(rules.follows)].rules.noun
    who = "subscribers" if subs is None else f"{subs} subscription(s)"
    if carried.migrate_subscribers:
        return [
            f"{who} move to the new {noun} and its new {followed} ({carried.proration_behavior})"
        ]
    return [
        f"{who} stay on the old {noun} and its old {followed}: usage reported as "
        f"{carried.follows_meter} reaches only the new {followed}, so it is no longer billed to "
        "them (--migrate-subscribers moves them)"
    ]


def note_line(note: Note) -> str:
    # An object without a key is shown by its id alone, not as "(prod_1) (prod_1)".
    shown = (
        note.key if note.key.endswith(f"({note.stripe_id})") else (f"{note.key} ({note.stripe_id})")
    )
    if isinstance(note, Unmanaged):
        return f"! unmanaged {note.kind} {shown}: {note.message}"
    return f"! {shown}: {note.message}"


def summary(plan: Plan) -> str:
    counts = plan.counts()
    text = (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['replace']} to replace, {counts['archive']} to archive"
    )
    adopted = plan.adoptions()
    if adopted:
        text += f", {counts['adopt']} to adopt ({adoption_counts(adopted)})"
    return text + "."


def adoption_counts(adopted: dict[str, int]) -> str:
    """`4 products, 7 prices, 1 coupon`: the adoptions per kind, in plan order."""
    return ", ".join(
        f"{n} {KINDS[kind].rules.noun}{'s' if n != 1 else ''}" for kind, n in adopted.items()
    )


def options_text(plan: Plan) -> str:
    chosen = [
        name
        for name, on in (
            ("--prune", plan.options.prune),
            ("--adopt", plan.options.adopt),
            ("--migrate-subscribers", plan.options.migrate_subscribers),
            ("--allow-duplicates", plan.options.allow_duplicates),
        )
        if on
    ]
    return " ".join(chosen) if chosen else "(none)"


def render_text(plan: Plan) -> str:
    """The whole plan as text ending in a newline."""
    lines: list[str] = []
    if not plan.has_changes:
        lines.append("No changes: Stripe matches the plan files.")
    for change in plan.changes:
        creating = change.action == "create"
        lines.append(f"{SYMBOLS[change.action]} {title(change)}")
        lines.extend(f"    {field_line(f, creating)}" for f in change.fields)
        lines.extend(f"    # {line}" for line in detail_lines(change))
    if plan.notes:
        lines.append("")
        lines.extend(note_line(n) for n in plan.notes)
    problem = plan.safety_problem()
    if problem:
        lines.append("")
        lines.append(f"! safety: {problem}")
    lines.append("")
    lines.append(summary(plan))
    lines.append(f"Options: {options_text(plan)}")
    lines.append(f"Fingerprint: {plan.fingerprint}")
    return "\n".join(lines) + "\n"
