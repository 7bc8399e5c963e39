"""What the one reconcile engine sees of an object of any kind: a declared one (`Wanted`, from
the plan files) and a live one (`Held`, from Stripe), as plain values.

The adapters that make them stand where the kinds' shapes are known: `plans/entries.py` for the
plan model, `stripe_catalog/entries.py` for Stripe's answers. The engine (`reconcile/diff.py`)
reads these values and the kinds' declarations, never a kind's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Wanted:
    """One object the plan files declare: its kind and key (its identity), the state the plan
    pushes, and what the engine needs besides.

    `parent` is the key of the object it belongs to (a price's product: `Rules.parent`);
    `name` is what a match by name compares (`Rules.shape`); `follows` the key of the object
    it follows (`Rules.follows`: a metered price's meter, a promotion code's coupon);
    `carries` what its replacement carries over besides roles (a price's proration behaviour
    for moved subscribers); `chosen_id` the id the files choose for it (a coupon's own id)."""

    kind: str
    key: str
    state: Mapping[str, Any]
    parent: str | None = None
    name: str = ""
    active: bool = True
    follows: str | None = None
    carries: Mapping[str, Any] = field(default_factory=dict)
    chosen_id: str | None = None


@dataclass(frozen=True)
class Held:
    """One object Stripe holds: its id, the tool's key for it ("" when it has none: a product
    without `plan-key`, a price without a lookup key), and its state as Stripe holds it, with
    the references the kind declares (its parent, late fields) left as Stripe ids for the
    engine to name.

    `parent_id` is its parent's id; `follows_id` and `follows_key` the id and key of the object
    it follows (a metered price's meter); `legacy` marks an object the tool never replaces or
    archives; `owner_id` the object a detach names (a product feature's product);
    `is_default` the account's default of its kind (a portal configuration: never retired)."""

    kind: str
    id: str
    key: str
    state: Mapping[str, Any]
    managed: bool
    active: bool
    created: int
    name: str = ""
    parent_id: str | None = None
    follows_id: str | None = None
    follows_key: str | None = None
    legacy: bool = False
    owner_id: str = ""
    is_default: bool = False
