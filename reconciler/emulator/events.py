"""Raising an event for every state change: the hook resources call.

`emit` records the event Stripe would create, queues one signed delivery per
endpoint whose `enabled_events` match (through the state's dispatcher), then tells
the emulator's listeners. It stands on the ground floor: it imports no resource, and
resources raise events without importing the webhook machinery (`event_routes`,
`webhooks`) or the reactions to them (`entitlement_summary`).
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.emulator.state import DEFAULT_API_VERSION
from reconciler.emulator.store import StripeObject, new_id

if TYPE_CHECKING:
    from reconciler.emulator.call import Call
    from reconciler.emulator.state import Emulator


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An event's object as it was when the event was raised, cut from the live objects it
    shares (a subscription's prices, ...): pickled, which copies JSON-like data faster than a
    JSON round trip or `copy.deepcopy`, and kept as bytes until the event is read (most never
    are): far smaller than the objects it holds (the emulator's memory per request of a
    create-and-read loop halved; docs/emulator.md)."""

    pickled: bytes

    def load(self) -> StripeObject:
        loaded: StripeObject = pickle.loads(self.pickled)
        return loaded


def shown(event: StripeObject) -> StripeObject:
    """The event as the API answers it: its object loaded from its snapshot."""
    snapshot = event["data"]["object"]
    if not isinstance(snapshot, Snapshot):
        return event
    return {**event, "data": {**event["data"], "object": snapshot.load()}}


def previous_attributes(before: StripeObject, after: StripeObject) -> dict[str, Any]:
    """Old values of the top-level fields that changed; dicts report changed keys only."""
    changed: dict[str, Any] = {}
    for key, old in before.items():
        new = after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and key == "metadata":
            changed[key] = {
                sub: old.get(sub) for sub in set(old) | set(new) if old.get(sub) != new.get(sub)
            }
        else:
            changed[key] = old
    return changed


def emit(
    emulator: Emulator,
    event_type: str,
    obj: StripeObject,
    call: Call | None,
    before: StripeObject | None = None,
) -> StripeObject:
    """Record an event for `obj`, queue its webhook deliveries and tell the listeners. The
    event holds its object as a `Snapshot`: read it through `shown`."""
    data: dict[str, Any] = {"object": Snapshot(pickle.dumps(obj, pickle.HIGHEST_PROTOCOL))}
    if before is not None:
        data["previous_attributes"] = previous_attributes(before, obj)
    endpoints = [
        endpoint
        for endpoint in emulator.webhook_endpoints.values()
        if endpoint["status"] == "enabled"
        and ("*" in endpoint["enabled_events"] or event_type in endpoint["enabled_events"])
    ]
    event: StripeObject = {
        "id": new_id("evt_"),
        "object": "event",
        # No `account` or `context`: Stripe sends them only for Connect and event
        # destinations (api/events/object: optional, never null).
        "api_version": (call.api_version if call else None) or DEFAULT_API_VERSION,
        "created": emulator.clock.now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": len(endpoints),
        "request": call.request_ref if call else {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    emulator.events.add(event)
    if endpoints:
        # Indented as Stripe sends it; only built when someone listens (it is not cheap).
        payload = json.dumps(shown(event), indent=2).encode()
        for endpoint in endpoints:
            emulator.webhooks.enqueue(
                endpoint["url"], emulator.webhook_secrets[endpoint["id"]], payload
            )
    for listener in emulator.listeners:
        listener(emulator, event_type, obj, call)
    return event
