"""The objects file: account-level kinds declared in plan files (meters, coupons, promotion
codes, Entitlements features, Billing Portal configurations).

A plan file whose top level holds one of the sections below (and no `product`) declares
account-level objects, one list per kind; `portal` holds the account's default portal
configuration. Its JSON Schema is generated from the kind declarations (`objects_schema`, checked
in as `schemas/objects.schema.json`); the limits a schema cannot say are in `objects_checks.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from reconciler.kinds import COUPON, FEATURE, METER, PORTAL_CONFIGURATION, PROMOTION_CODE, Kind
from reconciler.kinds.portal import DEFAULT_KEY
from reconciler.model import AccountObject
from reconciler.plans.dump import SCHEMA_FOLDER

# Plan-file section -> kind, in the order a file lists them.
SECTIONS: dict[str, Kind] = {
    "meters": METER,
    "coupons": COUPON,
    "promotion_codes": PROMOTION_CODE,
    "features": FEATURE,
    "portals": PORTAL_CONFIGURATION,
}
# Sections holding one object rather than a list: the account's default portal configuration.
SINGLE: dict[str, Kind] = {"portal": PORTAL_CONFIGURATION}
PORTAL_KEY = DEFAULT_KEY
# What identifies an object of each kind, by plan-file key (a coupon: `key`, else `id`).
IDENTITY = {
    "meter": "event_name",
    "coupon": "id",
    "promotion_code": "code",
    "feature": "lookup_key",
    "portal_configuration": "key",
}
# Sections whose items must carry `key` although the kind's schema leaves it out.
KEYED = frozenset({"portals"})


def is_objects_file(data: Any) -> bool:
    sections = (*SECTIONS, *SINGLE)
    return isinstance(data, Mapping) and "product" not in data and any(s in data for s in sections)


def _item_schema(section: str, kind: Kind) -> dict[str, Any]:
    schema = kind.schema()
    if section in KEYED:
        schema["required"] = ["key", *schema["required"]]
    return schema


def _single_schema(kind: Kind) -> dict[str, Any]:
    schema = kind.schema()
    schema["properties"] = {k: v for k, v in schema["properties"].items() if k != "key"}
    return schema


def objects_schema() -> dict[str, Any]:
    """The JSON Schema of an objects file, derived from the kind declarations."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:reconciler:schema:objects",
        "title": "reconciler objects file: billing meters, coupons, promotion codes, "
        "Entitlements features and Billing Portal configurations",
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            **{
                s: {"type": "array", "items": _item_schema(s, kind)} for s, kind in SECTIONS.items()
            },
            **{s: _single_schema(kind) for s, kind in SINGLE.items()},
        },
        "$defs": {"metadata": {"type": "object", "additionalProperties": {"type": "string"}}},
    }


def objects_schema_text() -> str:
    return json.dumps(objects_schema(), indent=2, ensure_ascii=False) + "\n"


# The checked-in copy (regenerate with scripts/generate-schema).
OBJECTS_SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "objects.schema.json"


def items(data: Mapping[str, Any], section: str) -> Iterable[tuple[int, Mapping[str, Any]]]:
    """(index, item) for each mapping in a section's list."""
    found = data.get(section)
    for index, item in enumerate(found if isinstance(found, list) else ()):
        if isinstance(item, Mapping):
            yield index, item


def _declared(kind: Kind, item: Mapping[str, Any]) -> list[AccountObject]:
    """The objects one validated item declares: itself, and a feature's attachments."""
    terms = kind.from_plan(item)
    metadata = dict(item.get("metadata") or {})
    if kind is METER:
        return [AccountObject("meter", str(terms["event_name"]), terms, {}, str(item["key"]))]
    if kind is COUPON:
        own_id = item.get("id")
        key = str(item.get("key") or own_id)
        return [AccountObject("coupon", key, terms, metadata, own_id=own_id)]
    if kind is FEATURE:
        lookup_key = str(terms["lookup_key"])
        attached = [
            AccountObject(
                "product_feature",
                f"{product}/{lookup_key}",
                {"product": product, "entitlement_feature": lookup_key},
            )
            for product in item.get("products") or ()
        ]
        return [AccountObject("feature", lookup_key, terms, metadata), *attached]
    key = str(item.get("key") or terms.get(IDENTITY[kind.name]))
    return [AccountObject(kind.name, key, terms, metadata)]


def build_objects(documents: list[Mapping[str, Any]]) -> tuple[AccountObject, ...]:
    """The declared objects of validated objects files, sorted by kind and key."""
    found: list[AccountObject] = []
    for data in documents:
        for section, kind in SECTIONS.items():
            for _, item in items(data, section):
                found.extend(_declared(kind, item))
        for section, kind in SINGLE.items():
            single = data.get(section)
            if isinstance(single, Mapping):
                found.extend(_declared(kind, {**single, "key": PORTAL_KEY}))
    return tuple(sorted(found, key=lambda o: (o.kind, o.key)))


OBJECTS_MODELINE = f"# yaml-language-server: $schema={SCHEMA_FOLDER}/objects.schema.json\n"


def _extra(obj: AccountObject, attached: Mapping[str, list[str]]) -> dict[str, Any]:
    """The plan-only keys of one object's item."""
    extra: dict[str, Any] = {}
    if obj.kind == "meter":
        extra["key"] = obj.alias or obj.key
    elif obj.kind == "coupon":
        if obj.own_id is not None:
            extra["id"] = obj.own_id
        if obj.key != obj.own_id:
            extra["key"] = obj.key
    elif obj.kind == "portal_configuration":
        extra["key"] = obj.key
    elif obj.kind == "feature" and attached.get(obj.key):
        extra["products"] = sorted(attached[obj.key])
    if obj.metadata:
        extra["metadata"] = dict(sorted(obj.metadata.items()))
    return extra


def objects_document(objects: tuple[AccountObject, ...]) -> dict[str, Any]:
    """The objects file's sections for these objects: a feature lists the products it is
    attached to, the `default` portal configuration is `portal`, any other is in `portals`."""
    attached: dict[str, list[str]] = {}
    for obj in objects:
        if obj.kind == "product_feature":
            feature = str(obj.terms["entitlement_feature"])
            attached.setdefault(feature, []).append(str(obj.terms["product"]))
    out: dict[str, Any] = {}
    for section, kind in SECTIONS.items():
        listed = [
            kind.to_plan(obj.terms, _extra(obj, attached))
            for obj in sorted(objects, key=lambda o: o.key)
            if obj.kind == kind.name and not (section == "portals" and obj.key == PORTAL_KEY)
        ]
        if listed:
            out[section] = listed
    for section, kind in SINGLE.items():
        for obj in objects:
            if obj.kind == kind.name and obj.key == PORTAL_KEY:
                extra = _extra(obj, attached)
                extra.pop("key")
                out[section] = kind.to_plan(obj.terms, extra)
    return {k: out[k] for k in (*SECTIONS, *SINGLE) if k in out}


def dump_objects(objects: tuple[AccountObject, ...]) -> str:
    """An objects file's text, with the editor modeline."""
    text = yaml.safe_dump(objects_document(objects), sort_keys=False, allow_unicode=True, width=100)
    return OBJECTS_MODELINE + text
