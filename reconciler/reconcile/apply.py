"""Execute a plan through the Stripe catalog boundary, in an order Stripe refuses nothing.

One apply for every kind: each change becomes one or more steps, as its kind's `Rules`
(`reconciler.kinds.rules`) declare them, each tagged with a phase. With today's declarations
the phases run: meters and products (0), product and feature updates (1), prices (2), price
updates (3), replacement prices (4), default prices moved or unset (5), the portal and
subscribers moved (6), prices archived (7), products and other objects retired (8), and last
the record on each product of the Entitlements features now attached to it (9: a failure
before leaves the record stale, and the next diff reads that product's attachments). A
product's default price therefore always moves or is unset, as Stripe requires, before its old
default is archived. Every write carries an idempotency key derived from the plan's
fingerprint, the change's key and the step, so a retried request never writes twice.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import stripe

from reconciler import stripe_catalog as catalog
from reconciler.errors import ApplyFailed, ReconcilerError
from reconciler.kinds import KINDS
from reconciler.kinds.rules import LateField, Rules
from reconciler.metadata import MANAGED_BY_KEY, PRODUCT_KEY_KEY
from reconciler.reconcile.changes import Change
from reconciler.reconcile.plan import Plan
from reconciler.stripe_catalog import LiveCatalog
from reconciler.stripe_catalog.dispatch import create, retire, set_default, update

Progress = Callable[[str], None]


@dataclass
class _Context:
    """Ids learned while applying: objects created earlier in the same run, by kind and key."""

    client: stripe.StripeClient
    live: LiveCatalog
    fingerprint: str
    ids: dict[tuple[str, str], str] = field(default_factory=dict)
    writes: int = 0
    # This run's own part of the keys of writes that change objects in place.
    run: str = field(default_factory=lambda: secrets.token_hex(8))

    def key(self, change: Change, step: str) -> str:
        """The idempotency key of one step. A create's comes from the plan alone, so no rerun
        of the plan can make a second object (one that meets a 500 Stripe saved for it reads
        back and goes on with keys of its own: `recovery.write_once`); the keys of in-place
        writes (updates, archives, moves) are this run's own: setting the same values again is
        harmless, and a rerun must not meet the 500 Stripe keeps for 24 hours for a key whose
        write began and failed (docs.stripe.com/api/idempotent_requests), which would stop
        every rerun of that plan."""
        run = "" if step == "create" else self.run
        seed = f"{self.fingerprint}\0{change.key}\0{step}\0{run}"
        return f"reconciler-{hashlib.sha256(seed.encode()).hexdigest()[:40]}"

    def resolve(self, kind: str, key: str) -> str:
        """The Stripe id of the object a plan key names (created in this run, or live)."""
        known = self.ids.get((kind, key)) or self.live.find_id(kind, key)
        if known is None:
            named = KINDS[kind].rules.json_identity
            if named:
                shown = named.replace("_", " ")
                raise ReconcilerError(f"no active Stripe {kind} with {shown} {key!r}")
            raise ReconcilerError(f"no Stripe {KINDS[kind].rules.noun} for {key!r}")
        return known

    def own_id(self, change: Change) -> str:
        """The Stripe id of the object a change acts on (made earlier in this run, or live)."""
        made = self.ids.get((change.kind, change.identity))
        return made or change.stripe_id or self.resolve(change.kind, change.identity)

    def parent_id(self, change: Change) -> str | None:
        """The Stripe id of the object a change's object belongs to (a price's product)."""
        parent = KINDS[change.kind].rules.parent
        if parent is None:
            return None
        return (
            self.ids.get((parent, change.group))
            or change.group_id
            or self.resolve(parent, change.group)
        )


@dataclass(frozen=True)
class Step:
    """One write (or one batch of subscription moves) of one change."""

    phase: int
    change: Change
    name: str
    run: Callable[[_Context], None]
    creates: bool = False  # it makes a new object (else it writes one in place)


@dataclass(frozen=True)
class ApplyReport:
    """What an apply did: the keys of the changes applied and how many writes it made."""

    applied: tuple[str, ...]
    writes: int


def _get(state: dict[str, Any], path: str) -> Any:
    head, _, rest = path.partition(".")
    value = state.get(head)
    return (value or {}).get(rest) if rest else value


def _put(state: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`state` with the field at `path` set to `value` (None: absent, for a metadata key)."""
    head, _, rest = path.partition(".")
    if not rest:
        return {**state, head: value}
    if head not in state:
        return state
    inner = {k: v for k, v in (state.get(head) or {}).items() if k != rest}
    if value is not None:
        inner[rest] = value
    return {**state, head: dict(sorted(inner.items()))}


def _early(after: dict[str, Any], base: dict[str, Any] | None, rules: Rules) -> dict[str, Any]:
    """The state written by the object's own step: every late field kept at its `base` value
    (absent for a create), written by its own later step."""
    state = after
    for late in rules.late:
        state = _put(state, late.path, _get(base, late.path) if base is not None else None)
    return state


def _late_steps(
    change: Change, rules: Rules, early: dict[str, Any], after: dict[str, Any]
) -> Iterator[Step]:
    for late in rules.late:
        wanted = _get(after, late.path)
        if wanted == _get(early, late.path):
            continue
        name = late.set_step if wanted else late.unset_step
        yield Step(late.phase, change, name, _late_writer(change, late, early, after))


def _late_writer(
    change: Change, late: LateField, early: dict[str, Any], after: dict[str, Any]
) -> Callable[[_Context], None]:
    wanted = _get(after, late.path)

    def write(ctx: _Context) -> None:
        own, key = ctx.own_id(change), ctx.key(change, late.tag)
        if late.writer == "default_price":
            named = late.refers_to
            target = ctx.resolve(named, str(wanted)) if wanted and named else None
            set_default(ctx.client, own, target, key)
        else:
            update(ctx.client, change.kind, own, early, after, ctx.resolve, key)

    return write


def _create_step(
    phase: int, change: Change, name: str, state: dict[str, Any], takes_over: bool = False
) -> Step:
    """The step that makes the change's object from `state` (`takes_over`: its identity moves
    from the object holding it)."""

    def create_it(ctx: _Context) -> None:
        ctx.ids[(change.kind, change.identity)] = create(
            ctx.client,
            change.kind,
            state,
            ctx.resolve,
            ctx.key(change, "create"),
            ctx.parent_id(change),
            takes_over,
            None if takes_over else change.chosen_id,
        )

    return Step(phase, change, name, create_it, creates=True)


def _steps(change: Change) -> Iterator[Step]:
    """The steps of one change, each tagged with the phase that orders it, as the change's
    kind declares them (`reconciler.kinds.rules`)."""
    rules = KINDS[change.kind].rules
    after, before = dict(change.after or {}), dict(change.before or {})
    noun = rules.noun
    if change.action == "create":
        early = _early(after, None, rules)
        yield _create_step(rules.create_phase, change, f"create {noun}", early)
        yield from _late_steps(change, rules, early, after)
    elif change.action in ("update", "adopt"):
        early = _early(after, before, rules)
        deactivates = rules.deactivate_phase is not None and after.get("active") is False
        phase = rules.deactivate_phase if deactivates else rules.update_phase
        tag = change.action

        def update_it(ctx: _Context) -> None:
            update(
                ctx.client,
                change.kind,
                ctx.own_id(change),
                before,
                early,
                ctx.resolve,
                ctx.key(change, tag),
            )

        if early != before:
            yield Step(int(phase or 0), change, f"{change.action} {noun}", update_it)
        yield from _late_steps(change, rules, early, after)
    elif change.action == "replace":
        yield from _replace_steps(change, rules, before, after)
    elif change.action == "archive":
        yield from _late_steps(change, rules, before, after)
        owner = change.owner_id

        def retire_it(ctx: _Context) -> None:
            tag = "archive" if rules.retire == "archive" else "retire"
            retire(ctx.client, change.kind, str(change.stripe_id), owner, ctx.key(change, tag))

        yield Step(rules.retire_phase, change, rules.retire_step(), retire_it)


def _replace_steps(
    change: Change, rules: Rules, before: dict[str, Any], after: dict[str, Any]
) -> Iterator[Step]:
    """A new object takes over the old one's identity, as the kind's `replacement` says."""
    phase = rules.replace_phase if rules.replace_phase is not None else rules.create_phase
    old_id, noun = str(change.stripe_id), rules.noun
    if rules.replacement == "retire_first":

        def retire_old(ctx: _Context) -> None:
            retire(ctx.client, change.kind, old_id, "", ctx.key(change, "retire"))

        yield Step(phase, change, f"retire the old {noun}", retire_old)
        yield _create_step(phase, change, f"create replacement {noun}", after)
    elif rules.replacement == "release_key":
        yield _create_step(phase, change, f"create replacement {noun}", after)
        kept = {
            k: v
            for k, v in before.get("metadata", {}).items()
            if k not in (MANAGED_BY_KEY, PRODUCT_KEY_KEY)
        }

        def release(ctx: _Context) -> None:
            released = {**before, "metadata": kept}
            update(
                ctx.client,
                change.kind,
                old_id,
                before,
                released,
                ctx.resolve,
                ctx.key(change, "release"),
            )

        yield Step(phase, change, f"release the old {noun}'s plan key", release)
    else:
        yield from _transfer_steps(change, rules, phase, after)


def _transfer_steps(
    change: Change, rules: Rules, phase: int, after: dict[str, Any]
) -> Iterator[Step]:
    """The new object takes over the identity, then the roles the old one had (its parent's
    default, its subscribers) as the change carries them, then the old one is archived."""
    carried = change.carried
    noun, old_id = rules.noun, str(change.stripe_id)
    yield _create_step(phase, change, f"create replacement {noun}", after, takes_over=True)
    if carried is not None and carried.moves_default:

        def move_default(ctx: _Context) -> None:
            new_id = ctx.ids[(change.kind, change.identity)]
            parent = ctx.parent_id(change)
            set_default(ctx.client, str(parent), new_id, ctx.key(change, "default"))

        yield Step(5, change, f"move default {noun}", move_default)
    if carried is not None and carried.migrate_subscribers:
        proration = carried.proration_behavior

        def migrate(ctx: _Context) -> None:
            new_id = ctx.ids[(change.kind, change.identity)]
            for ref in catalog.subscription_items(ctx.client, old_id):
                catalog.move_subscription_item(
                    ctx.client,
                    ref,
                    new_id,
                    proration,
                    ctx.key(change, f"migrate {ref.subscription_id}"),
                )
                ctx.writes += 1

        yield Step(6, change, "move subscribers", migrate)

    def archive_old(ctx: _Context) -> None:
        retire(ctx.client, change.kind, old_id, "", ctx.key(change, "archive"))

    if carried is None or carried.archive_old:
        yield Step(rules.retire_phase, change, f"archive old {noun}", archive_old)


def plan_steps(plan: Plan) -> tuple[Step, ...]:
    """Every step of the plan in execution order (phase, then the plan's own order)."""
    steps = [s for change in plan.changes for s in _steps(change)]
    return tuple(sorted(steps, key=lambda s: s.phase))  # sorted() is stable


def endpoint_of(step: Step) -> str:
    """The Stripe endpoint a step writes to, as Stripe's per-endpoint limit counts it: the
    create of its kind, or the update of one object of it (archiving, adopting and moving a
    default are updates)."""
    path = f"/v1/{step.change.kind}s"
    return f"POST {path}" if step.creates else f"POST {path}/{{id}}"


def apply_plan(
    plan: Plan,
    live: LiveCatalog,
    client: stripe.StripeClient,
    progress: Progress,
    pace: Callable[[str], None] = lambda endpoint: None,
) -> ApplyReport:
    """Run every step; on the first failure raise ApplyFailed naming what was and was not
    applied (a rerun diffs again and converges). `pace(endpoint)` is called before each step
    and waits for a slot of the rate limiter (`reconciler.ratelimit.StripeLimits.acquire`)."""
    ctx = _Context(client=client, live=live, fingerprint=plan.fingerprint)
    steps = plan_steps(plan)
    remaining = {change.key: sum(1 for s in steps if s.change is change) for change in plan.changes}
    applied: list[str] = []
    for step in steps:
        progress(f"{step.name}: {step.change.key}")
        pace(endpoint_of(step))
        try:
            step.run(ctx)
        except ReconcilerError as exc:
            total = {c.key: sum(1 for s in steps if s.change is c) for c in plan.changes}
            partial = tuple(
                c.key
                for c in plan.changes
                if c.key not in applied and remaining[c.key] < total[c.key]
            )
            pending = tuple(
                c.key for c in plan.changes if c.key not in applied and c.key not in partial
            )
            raise ApplyFailed(
                f"{step.name} {step.change.key} failed: {exc}", tuple(applied), partial, pending
            ) from exc
        if step.name != "move subscribers":
            ctx.writes += 1
        remaining[step.change.key] -= 1
        if remaining[step.change.key] == 0:
            applied.append(step.change.key)
    return ApplyReport(tuple(applied), ctx.writes)
