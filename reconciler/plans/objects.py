"""The objects file: account-level kinds declared in plan files (meters, coupons, codes).

A plan file whose top level holds `meters`, `coupons` or `promotion_codes` (and no `product`)
declares account-level objects, one list per kind. Its JSON Schema is generated from the kind
declarations (`objects_schema`, checked in as `schemas/objects.schema.json`); the limits a schema
cannot say come from each kind's `problems` and from the references between files (a coupon's
products, a code's coupon), each located at its `FILE:LINE:COL`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from reconciler.diagnostics import Diagnostic, format_path
from reconciler.kinds import COUPON, METER, PORTAL_CONFIGURATION, PROMOTION_CODE, Kind
from reconciler.model import AccountObject
from reconciler.plans.dump import SCHEMA_FOLDER
from reconciler.plans.yamldoc import YamlDocument

# Plan-file section -> kind, in the order a file lists them.
SECTIONS: dict[str, Kind] = {
    "meters": METER,
    "coupons": COUPON,
    "promotion_codes": PROMOTION_CODE,
}
# Sections holding one object rather than a list: the portal configuration the tool keeps.
SINGLE: dict[str, Kind] = {"portal": PORTAL_CONFIGURATION}
PORTAL_KEY = "default"
# What identifies an object of each kind in Stripe, by plan-file key.
IDENTITY = {"meter": "event_name", "coupon": "key", "promotion_code": "code"}
MAX_METADATA_KEYS = 50


def is_objects_file(data: Any) -> bool:
    sections = (*SECTIONS, *SINGLE)
    return isinstance(data, Mapping) and "product" not in data and any(s in data for s in sections)


def objects_schema() -> dict[str, Any]:
    """The JSON Schema of an objects file, derived from the kind declarations."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:reconciler:schema:objects",
        "title": "reconciler objects file: billing meters, coupons and promotion codes",
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            **{s: {"type": "array", "items": kind.schema()} for s, kind in SECTIONS.items()},
            **{s: kind.schema() for s, kind in SINGLE.items()},
        },
        "$defs": {"metadata": {"type": "object", "additionalProperties": {"type": "string"}}},
    }


def objects_schema_text() -> str:
    return json.dumps(objects_schema(), indent=2, ensure_ascii=False) + "\n"


# The checked-in copy (regenerate with scripts/generate-schema).
OBJECTS_SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "objects.schema.json"


def _items(data: Mapping[str, Any], section: str) -> Iterable[tuple[int, Mapping[str, Any]]]:
    items = data.get(section)
    for index, item in enumerate(items if isinstance(items, list) else ()):
        if isinstance(item, Mapping):
            yield index, item


def build_objects(documents: list[Mapping[str, Any]]) -> tuple[AccountObject, ...]:
    """The declared objects of validated objects files, sorted by kind and key."""
    found: list[AccountObject] = []
    for data in documents:
        for section, kind in SECTIONS.items():
            for _, item in _items(data, section):
                terms = kind.from_plan(item)
                identity = IDENTITY[kind.name]
                key = str(item["key"] if identity == "key" else terms[identity])
                alias = str(item["key"]) if kind is METER else None
                metadata = dict(item.get("metadata") or {})
                found.append(AccountObject(kind.name, key, terms, metadata, alias))
        for section, kind in SINGLE.items():
            single = data.get(section)
            if isinstance(single, Mapping):
                metadata = dict(single.get("metadata") or {})
                terms = kind.from_plan(single)
                found.append(AccountObject(kind.name, PORTAL_KEY, terms, metadata))
    return tuple(sorted(found, key=lambda o: (o.kind, o.key)))


def check_objects(
    sources: list[tuple[str, YamlDocument]], lookup_keys: Mapping[str, set[str]]
) -> list[Diagnostic]:
    """Each kind's limits, duplicate identities across files, and references that name
    nothing (a coupon's products, a promotion code's coupon, the portal's products and
    prices); `lookup_keys` holds each declared product's lookup keys."""
    product_keys = set(lookup_keys)
    out: list[Diagnostic] = []
    portals: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    coupons = {
        str(item["key"])
        for _, doc in sources
        for _, item in _items(doc.data, "coupons")
        if isinstance(item.get("key"), str)
    }

    def report(file: str, doc: YamlDocument, path: tuple[str | int, ...], message: str) -> None:
        line, col = doc.locate(path)
        out.append(Diagnostic(file, line, col, format_path(path), message))

    for file, doc in sources:
        for section, kind in SECTIONS.items():
            for index, item in _items(doc.data, section):
                where: tuple[str | int, ...] = (section, index)
                for path, message in kind.problems(item):
                    report(file, doc, (*where, *path), message)
                for name in dict.fromkeys(("key", IDENTITY[kind.name])):
                    value = item.get(name)
                    if not isinstance(value, str):
                        continue
                    # Stripe compares promotion codes regardless of case.
                    shown = value.lower() if name == "code" else value
                    noun, words = kind.name.replace("_", " "), name.replace("_", " ")
                    what = noun if noun.endswith(words) else f"{noun} {words}"
                    label = f"{what} {shown!r}"
                    place = f"{file}:{doc.locate((*where, name))[0]}"
                    first = seen.setdefault((label, ""), place)
                    if first != place:
                        report(file, doc, (*where, name), f"duplicate {label} (first at {first})")
                metadata = item.get("metadata")
                if isinstance(metadata, Mapping) and len(metadata) + 2 > MAX_METADATA_KEYS:
                    report(
                        file,
                        doc,
                        (*where, "metadata"),
                        f"at most {MAX_METADATA_KEYS - 2} metadata keys of its own",
                    )
            for index, item in _items(doc.data, "coupons"):
                products = item.get("applies_to")
                for n, key in enumerate(products if isinstance(products, list) else ()):
                    if isinstance(key, str) and key not in product_keys:
                        path = ("coupons", index, "applies_to", n)
                        report(file, doc, path, f"no product has the key {key!r}")
            for index, item in _items(doc.data, "promotion_codes"):
                coupon = item.get("coupon")
                if isinstance(coupon, str) and coupon not in coupons:
                    path = ("promotion_codes", index, "coupon")
                    report(file, doc, path, f"no coupon has the key {coupon!r}")
        portal = doc.data.get("portal")
        if isinstance(portal, Mapping):
            if portals:
                report(file, doc, ("portal",), f"a second portal configuration ({portals[0]})")
            portals.append(f"{file}:{doc.locate(('portal',))[0]}")
            for path, message in PORTAL_CONFIGURATION.problems(portal):
                report(file, doc, ("portal", *path), message)
            _check_switching(file, doc, portal, lookup_keys, report)
    return out


def _check_switching(
    file: str,
    doc: YamlDocument,
    portal: Mapping[str, Any],
    lookup_keys: Mapping[str, set[str]],
    report: Any,
) -> None:
    """The portal's products must be declared products, its prices their lookup keys."""
    features = portal.get("features")
    switching = features.get("plan_switching") if isinstance(features, Mapping) else None
    products = switching.get("products") if isinstance(switching, Mapping) else None
    if not isinstance(products, Mapping):
        return
    where = ("portal", "features", "plan_switching", "products")
    for key, prices in products.items():
        if key not in lookup_keys:
            report(file, doc, (*where, key), f"no product has the key {key!r}")
            continue
        for n, lookup_key in enumerate(prices if isinstance(prices, list) else ()):
            if isinstance(lookup_key, str) and lookup_key not in lookup_keys[key]:
                message = f"product {key!r} declares no price with lookup key {lookup_key!r}"
                report(file, doc, (*where, key, n), message)


OBJECTS_MODELINE = f"# yaml-language-server: $schema={SCHEMA_FOLDER}/objects.schema.json\n"


def objects_document(objects: tuple[AccountObject, ...]) -> dict[str, Any]:
    """The objects file's sections for these objects (kinds without a section are skipped)."""
    out: dict[str, Any] = {}
    for section, kind in SECTIONS.items():
        items = []
        for obj in sorted(objects, key=lambda o: o.key):
            if obj.kind != kind.name:
                continue
            extra: dict[str, Any] = {}
            if kind.name != "promotion_code":
                extra["key"] = obj.alias or obj.key
            if obj.metadata:
                extra["metadata"] = dict(sorted(obj.metadata.items()))
            items.append(kind.to_plan(obj.terms, extra))
        if items:
            out[section] = items
    for section, kind in SINGLE.items():
        for obj in objects:
            if obj.kind == kind.name:
                extra = {"metadata": dict(sorted(obj.metadata.items()))} if obj.metadata else {}
                out[section] = kind.to_plan(obj.terms, extra)
    return out


def dump_objects(objects: tuple[AccountObject, ...]) -> str:
    """An objects file's text, with the editor modeline."""
    text = yaml.safe_dump(objects_document(objects), sort_keys=False, allow_unicode=True, width=100)
    return OBJECTS_MODELINE + text


def check_meter_references(
    products: list[tuple[str, YamlDocument]], objects: list[tuple[str, YamlDocument]]
) -> list[Diagnostic]:
    """A metered price's `recurring.meter` must be the key of a declared meter, and a limit's
    `meter` (top level or a price's) the event name of one: the runtime sends a metered
    limit's usage as meter events with that event name."""
    meters = [item for _, doc in objects for _, item in _items(doc.data, "meters")]
    events = {
        str(item["key"]): str(item.get("event_name"))
        for item in meters
        if isinstance(item.get("key"), str)
    }
    out: list[Diagnostic] = []

    def report(file: str, doc: YamlDocument, path: tuple[str | int, ...], message: str) -> None:
        line, col = doc.locate(path)
        out.append(Diagnostic(file, line, col, format_path(path), message))

    for file, doc in products:
        places = [((), doc.data), *((("prices", i), p) for i, p in _items(doc.data, "prices"))]
        for where, holder in places:
            for name, message in _limit_meter_problems(holder.get("limits"), events):
                report(file, doc, (*where, "limits", name, "meter"), message)
        for index, price in _items(doc.data, "prices"):
            recurring = price.get("recurring")
            if not isinstance(recurring, Mapping) or recurring.get("usage_type") != "metered":
                continue  # a meter on a licensed price is the price's own error
            meter = recurring.get("meter")
            if isinstance(meter, str) and meter not in events:
                path = ("prices", index, "recurring", "meter")
                report(
                    file, doc, path, f"no meter has the key {meter!r} (declare it under meters:)"
                )
    return out


def _limit_meter_problems(limits: Any, events: Mapping[str, str]) -> Iterable[tuple[str, str]]:
    """(limit name, message) for each limit whose `meter` is no declared meter's event name;
    `events` maps each declared meter's key to its event name."""
    declared = set(events.values())
    for name, limit in limits.items() if isinstance(limits, Mapping) else ():
        meter = limit.get("meter") if isinstance(limit, Mapping) else None
        if not isinstance(meter, str) or meter in declared:
            continue
        if meter in events:
            yield (
                name,
                (
                    f"{meter!r} is a meter's key; a limit names its meter by event name "
                    f"({events[meter]!r})"
                ),
            )
        else:
            yield name, f"no meter has the event name {meter!r} (declare it under meters:)"
