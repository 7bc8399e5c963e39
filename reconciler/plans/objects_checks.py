"""The limits of objects files a schema cannot say: each kind's own checks, duplicate
identities across files, and references between files (a coupon's products, a code's coupon, a
feature's products, a portal's products and prices, a price's meter), each located at its
`FILE:LINE:COL`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.diagnostics import Diagnostic, format_path
from reconciler.kinds import PORTAL_CONFIGURATION
from reconciler.plans.objects import IDENTITY, PORTAL_KEY, SECTIONS, items
from reconciler.plans.yamldoc import YamlDocument

MAX_METADATA_KEYS = 50


def check_objects(
    sources: list[tuple[str, YamlDocument]], lookup_keys: Mapping[str, set[str]]
) -> list[Diagnostic]:
    """Each kind's limits, duplicate identities across files, and references that name
    nothing (a coupon's products, a promotion code's coupon, a feature's products, the
    portals' products and prices); `lookup_keys` holds each declared product's lookup keys."""
    product_keys = set(lookup_keys)
    out: list[Diagnostic] = []
    portals: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    coupons = {
        str(item[name])
        for _, doc in sources
        for _, item in items(doc.data, "coupons")
        for name in ("key", "id")
        if isinstance(item.get(name), str)
    }

    def report(file: str, doc: YamlDocument, path: tuple[str | int, ...], message: str) -> None:
        line, col = doc.locate(path)
        out.append(Diagnostic(file, line, col, format_path(path), message))

    for file, doc in sources:
        for section, kind in SECTIONS.items():
            for index, item in items(doc.data, section):
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
            for index, item in items(doc.data, "coupons"):
                products = item.get("applies_to")
                for n, key in enumerate(products if isinstance(products, list) else ()):
                    if isinstance(key, str) and key not in product_keys:
                        path = ("coupons", index, "applies_to", n)
                        report(file, doc, path, f"no product has the key {key!r}")
            for index, item in items(doc.data, "promotion_codes"):
                coupon = item.get("coupon")
                if isinstance(coupon, str) and coupon not in coupons:
                    path = ("promotion_codes", index, "coupon")
                    report(file, doc, path, f"no coupon has the key {coupon!r}")
            for index, item in items(doc.data, "features"):
                products = item.get("products")
                for n, key in enumerate(products if isinstance(products, list) else ()):
                    if isinstance(key, str) and key not in product_keys:
                        path = ("features", index, "products", n)
                        report(file, doc, path, f"no product has the key {key!r}")
            for index, item in items(doc.data, "portals"):
                where = ("portals", index)
                if item.get("key") == PORTAL_KEY:
                    message = f"the {PORTAL_KEY!r} configuration is declared under portal:"
                    report(file, doc, (*where, "key"), message)
                _check_switching(file, doc, where, item, lookup_keys, report)
        portal = doc.data.get("portal")
        if isinstance(portal, Mapping):
            if portals:
                report(file, doc, ("portal",), f"a second portal configuration ({portals[0]})")
            portals.append(f"{file}:{doc.locate(('portal',))[0]}")
            for path, message in PORTAL_CONFIGURATION.problems(portal):
                report(file, doc, ("portal", *path), message)
            _check_switching(file, doc, ("portal",), portal, lookup_keys, report)
    return out


def _check_switching(
    file: str,
    doc: YamlDocument,
    at: tuple[str | int, ...],
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
    where = (*at, "features", "plan_switching", "products")
    for key, prices in products.items():
        if key not in lookup_keys:
            report(file, doc, (*where, key), f"no product has the key {key!r}")
            continue
        for n, lookup_key in enumerate(prices if isinstance(prices, list) else ()):
            if isinstance(lookup_key, str) and lookup_key not in lookup_keys[key]:
                message = f"product {key!r} declares no price with lookup key {lookup_key!r}"
                report(file, doc, (*where, key, n), message)


def check_meter_references(
    products: list[tuple[str, YamlDocument]], objects: list[tuple[str, YamlDocument]]
) -> list[Diagnostic]:
    """A metered price's `recurring.meter` must be the key of a declared meter, and a limit's
    `meter` (top level or a price's) the event name of one: the runtime sends a metered
    limit's usage as meter events with that event name."""
    meters = [item for _, doc in objects for _, item in items(doc.data, "meters")]
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
        places = [((), doc.data), *((("prices", i), p) for i, p in items(doc.data, "prices"))]
        for where, holder in places:
            for name, message in _limit_meter_problems(holder.get("limits"), events):
                report(file, doc, (*where, "limits", name, "meter"), message)
        for index, price in items(doc.data, "prices"):
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
