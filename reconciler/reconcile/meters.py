"""Metered prices follow their meter: which meter each declared event name bills against once
the plan is applied, and why a price still on another meter must be replaced.

Stripe changes only a meter's display name; any other difference makes a new meter take over
the event name and deactivates the old one (`objects.py`). Stripe cannot change a price's
`recurring.meter` either (docs.stripe.com/api/prices/update takes no `recurring`), so an active
price billing against the old meter is replaced by one on the new meter, as a promotion code
follows its replaced coupon. A price is matched to its meter by id, not by event name: the old
meter and its successor share the event name. Pure: plan and live state in, values out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.kinds import METER
from reconciler.model import Catalog, Price
from reconciler.reconcile.state import desired_state, live_state, match_live
from reconciler.stripe_catalog.live import LiveCatalog, LiveObject, LivePrice

# Why a declared meter gets a new Stripe meter in this plan: its immutable fields differ
# ("replaced"), or no meter with its event name is active ("inactive"); "" when it keeps one.
Renewal = Literal["replaced", "inactive", ""]
MOVE = "Stripe cannot move a price to another meter"


@dataclass(frozen=True)
class MeterOutcome:
    """What the plan does to the meter of one event name. `kept_id` is the live meter that
    stays active (None when this plan makes a new one); `renewal` says why a new one."""

    event_name: str
    kept_id: str | None
    renewal: Renewal


def meter_outcomes(desired: Catalog, live: LiveCatalog) -> dict[str, MeterOutcome]:
    """Each declared meter's outcome, by event name, decided as `objects.diff_objects` does;
    event names no live meter has are left out (no price can bill against them yet)."""
    candidates: dict[str, list[LiveObject]] = {}
    for held in live.objects_of("meter"):
        candidates.setdefault(held.key, []).append(held)
    found: dict[str, MeterOutcome] = {}
    for declared in desired.objects_of("meter"):
        current = match_live(declared.key, candidates)
        if current is None:
            continue  # no meter has this event name yet, so no price bills against one
        if not current.active:
            found[declared.key] = MeterOutcome(declared.key, None, "inactive")
        elif METER.forcing(live_state(current), desired_state(declared)):
            found[declared.key] = MeterOutcome(declared.key, None, "replaced")
        else:
            found[declared.key] = MeterOutcome(declared.key, current.id, "")
    return found


def _meter_of(terms: Mapping[str, Any]) -> str | None:
    recurring = terms.get("recurring")
    if not isinstance(recurring, Mapping) or recurring.get("usage_type") != "metered":
        return None
    meter = recurring.get("meter")
    return str(meter) if meter else None


def stranded_meter(held: LivePrice, outcomes: Mapping[str, MeterOutcome]) -> str | None:
    """The event name of the meter `held` bills against when that meter is not the one its
    event name keeps after the apply (a price no plan declares cannot follow it); else None."""
    event = _meter_of(held.price.terms)
    if event is None or held.meter_id is None:
        return None
    outcome = outcomes.get(event)
    if outcome is None or outcome.kept_id == held.meter_id:
        return None
    return event


def follow_reason(
    declared: Price, held: LivePrice, outcomes: Mapping[str, MeterOutcome]
) -> tuple[str, str] | None:
    """(event name, reason) when `held`, the live price of the declared one, bills against a
    meter other than the one its event name keeps after the apply; None otherwise. An inactive
    declared price is left where it is: nobody subscribes to it anew."""
    event = _meter_of(declared.terms)
    if event is None or not declared.active or held.meter_id is None:
        return None
    if _meter_of(held.price.terms) != event:
        return None  # the declared price names another meter: its own fields force a new one
    outcome = outcomes.get(event)
    if outcome is None or outcome.kept_id == held.meter_id:
        return None
    if outcome.renewal == "replaced":
        why = f"its meter {event} is replaced"
    elif outcome.renewal == "inactive":
        why = f"its meter {event} is inactive and a new meter takes over its event name"
    else:
        why = (
            f"its meter {event} was replaced by {outcome.kept_id} and the price still bills "
            f"against {held.meter_id}"
        )
    return event, f"{why}, and {MOVE}"
