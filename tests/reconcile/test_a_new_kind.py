"""Adding a kind to the engine is its declaration: a kind declared here (a shipping rate, with
the rules Stripe documents for it: docs.stripe.com/api/shipping_rates/update changes only
`active`, `metadata` and `tax_behavior`; its name and amount are fixed) is diffed, planned,
rendered and ordered for apply by the one engine, with no line of the engine naming it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.kinds import KINDS, Field, Kind, Mutability, register_kind
from reconciler.kinds.field import Flag
from reconciler.kinds.identity import Identity, Rule, Source, plan_key_metadata
from reconciler.kinds.rules import Rules
from reconciler.model import AccountObject, Catalog
from reconciler.reconcile.apply import plan_steps
from reconciler.reconcile.diff import diff
from reconciler.reconcile.plan import DiffOptions
from reconciler.reconcile.render_text import render_text
from reconciler.stripe_catalog.live import LiveCatalog, LiveObject

SHIPPING_RATE = Kind(
    name="shipping_rate",
    rules=Rules(noun="shipping rate", create_phase=3, update_phase=3, keyed_by_metadata=True),
    fields=(
        Field("display_name", schema={"type": "string"}, mutability=Mutability.REPLACE),
        Field("amount", schema={"type": "integer"}, mutability=Mutability.REPLACE),
        Field("tax_behavior", schema={"enum": ["inclusive", "exclusive", "unspecified"]}),
        Field("active", Flag(), schema={"type": "boolean"}, default=True),
    ),
    required=("display_name", "amount"),
    order=("display_name", "amount", "tax_behavior"),
    identity=Identity((Rule(Source.PLAN_KEY, plan_key_metadata),), fallback="shipping-rate"),
)
MARKED = {"managed-by": "reconciler"}


@pytest.fixture(autouse=True)
def shipping_rates() -> Iterator[None]:
    register_kind(SHIPPING_RATE)
    yield
    del KINDS["shipping_rate"]


def rate(key: str, name: str, amount: int, tax: str = "exclusive") -> AccountObject:
    terms = {"display_name": name, "amount": amount, "tax_behavior": tax, "active": True}
    return AccountObject("shipping_rate", key, terms)


def held(key: str, name: str, amount: int, tax: str = "exclusive") -> LiveObject:
    terms = {"display_name": name, "amount": amount, "tax_behavior": tax, "active": True}
    metadata = {"plan-key": key, **MARKED}
    return LiveObject("shipping_rate", f"shr_{key}", key, terms, True, True, 1, metadata)


def test_the_engine_plans_every_action_of_a_kind_it_was_never_told_about() -> None:
    desired = Catalog(
        (),
        (
            rate("express", "Express", 1500),  # new: created
            rate("standard", "Standard", 500, "inclusive"),  # tax behaviour: in place
            rate("pickup", "Pickup", 100),  # amount: Stripe cannot change it
        ),
    )
    live = LiveCatalog(
        objects=(
            held("standard", "Standard", 500),
            held("pickup", "Pickup", 0),
            held("old", "Old", 900),  # not declared: retired with --prune
        )
    )
    plan = diff(desired, live, DiffOptions(prune=True))
    assert render_text(plan).splitlines() == [
        "+ shipping_rate express",
        "    active: true",
        "    amount: 1500",
        '    display_name: "Express"',
        '    metadata.managed-by: "reconciler"',
        '    metadata.plan-key: "express"',
        '    tax_behavior: "exclusive"',
        "- shipping_rate old (shr_old)",
        "    active: true -> false",
        "    # reason: not declared",
        "-/+ shipping_rate pickup (shr_pickup)",
        "    amount: 0 -> 100",
        "    # reason: Stripe cannot change amount on a shipping rate",
        "~ shipping_rate standard (shr_standard)",
        '    tax_behavior: "exclusive" -> "inclusive"',
        "",
        "Plan: 1 to create, 1 to update, 1 to replace, 1 to archive.",
        "Options: --prune",
        f"Fingerprint: {plan.fingerprint}",
    ]
    assert [(s.phase, s.name, s.change.key) for s in plan_steps(plan)] == [
        (3, "create shipping rate", "shipping_rate:express"),
        (3, "retire the old shipping rate", "shipping_rate:pickup"),
        (3, "create replacement shipping rate", "shipping_rate:pickup"),
        (3, "update shipping rate", "shipping_rate:standard"),
        (8, "retire shipping rate", "shipping_rate:old"),
    ]
