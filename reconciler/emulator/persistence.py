"""Saving and loading emulator state as JSON, for `reconciler emulator --data FILE`.

Subscription items embed their price by reference in memory; on load they are
pointed back at the stored price so later price updates still show through.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from reconciler.emulator.entitlement_summary import remember_all
from reconciler.emulator.events import Snapshot
from reconciler.emulator.state import COLLECTIONS, INCLUDABLE, Emulator

_FORMAT = 1


def _loaded(value: Any) -> Any:
    """An event's object snapshot, as the object it holds (json.dumps' `default`)."""
    if isinstance(value, Snapshot):
        return value.load()
    raise TypeError(f"{type(value).__name__} is not part of an emulator account")


def save(emulator: Emulator, path: Path) -> None:
    """Write the account atomically: a crash mid-write never leaves half a file."""
    with emulator.lock:
        document: dict[str, Any] = {
            "format": _FORMAT,
            "clock_offset": emulator.clock.offset,
            "collections": {
                attribute: emulator.collection_named(attribute).dump() for attribute in COLLECTIONS
            },
            "includable": emulator.includable,
            "meter_events": emulator.meter_events,
            "meter_event_identifiers": emulator.meter_event_identifiers,
            "product_feature_owner": emulator.product_feature_owner,
            "webhook_secrets": emulator.webhook_secrets,
            "checkout_inputs": emulator.checkout_inputs,
            "deleted_customers": sorted(emulator.deleted_customers),
        }
        text = json.dumps(document, default=_loaded)
    handle, temporary = tempfile.mkstemp(dir=path.parent or Path("."), prefix=".emulator-")
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.replace(temporary, path)


def load(emulator: Emulator, path: Path) -> None:
    """Replace the emulator's state with the file's; a missing file means "start empty"."""
    if not path.exists():
        return
    document = json.loads(path.read_text())
    if document.get("format") != _FORMAT:
        raise ValueError(f"{path}: not an emulator state file (format {document.get('format')})")
    with emulator.lock:
        emulator.reset_data()
        emulator.clock.offset = int(document.get("clock_offset", 0))
        for attribute, objects in document["collections"].items():
            emulator.collection_named(attribute).load(objects)
        includable = document.get("includable") or {"price.tiers": document.get("price_tiers", {})}
        emulator.includable.update({name: includable.get(name, {}) for name in INCLUDABLE})
        emulator.meter_events = document.get("meter_events", [])
        emulator.meter_event_identifiers = document.get("meter_event_identifiers", {})
        emulator.product_feature_owner = document.get("product_feature_owner", {})
        emulator.webhook_secrets = document.get("webhook_secrets", {})
        emulator.checkout_inputs = document.get("checkout_inputs", {})
        emulator.deleted_customers = set(document.get("deleted_customers", []))
        emulator.lookup_keys = {
            price["lookup_key"]: price["id"]
            for price in emulator.prices.values()
            if price["lookup_key"]
        }
        for subscription in emulator.subscriptions.values():
            for item in subscription["items"]["data"]:
                item["price"] = emulator.prices.get(item["price"]["id"]) or item["price"]
        for attached in emulator.product_features.values():
            feature = attached["entitlement_feature"]
            attached["entitlement_feature"] = emulator.features.get(feature["id"]) or feature
        remember_all(emulator)
