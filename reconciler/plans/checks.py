"""Checks beyond the schema: what Stripe would refuse, and what clashes across files.

Runs on the raw documents (so it can report alongside schema errors) and skips any value whose
type the schema already rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.diagnostics import Diagnostic, Severity, format_path
from reconciler.kinds import PRICE, PRODUCT
from reconciler.kinds.field import too_long
from reconciler.metadata import RESERVED_KEYS, reads_back_differently
from reconciler.plans.yamldoc import Path, YamlDocument

# Stripe's metadata limits, per object.
MAX_METADATA_KEYS = 50
MAX_KEY_LENGTH = 40
MAX_VALUE_LENGTH = 500


@dataclass(frozen=True)
class SourceFile:
    """A parsed plan file and what it declares."""

    file: str
    kind: str  # "product" or "config"
    doc: YamlDocument


class _Reporter:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.found: list[Diagnostic] = []

    def at_value(self, path: Path, message: str, severity: str = "error") -> None:
        line, col = self.source.doc.locate(path)
        self._add(path, line, col, message, severity)

    def at_key(self, path: Path, message: str, severity: str = "error") -> None:
        line, col = self.source.doc.locate_key(path)
        self._add(path, line, col, message, severity)

    def _add(self, path: Path, line: int, col: int, message: str, severity: str) -> None:
        sev: Severity = "warning" if severity == "warning" else "error"
        self.found.append(Diagnostic(self.source.file, line, col, format_path(path), message, sev))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _check_metadata(
    rep: _Reporter, metadata: dict[str, Any], path: Path, prefixes: tuple[str, str]
) -> None:
    for key, value in metadata.items():
        where = (*path, key)
        if key in RESERVED_KEYS:
            rep.at_key(where, f"metadata key {key!r} is reserved for the reconciler")
        elif key.startswith(prefixes):
            rep.at_key(
                where,
                f"metadata key {key!r} uses a limits/features prefix; declare it under "
                "limits or features",
            )
        _check_key(rep, key, where)
        if isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            rep.at_value(
                where,
                too_long("metadata value", len(value), MAX_VALUE_LENGTH),
            )


def _check_key(rep: _Reporter, key: str, where: Path, prefix: str = "") -> None:
    full = prefix + key
    if "[" in full or "]" in full:
        rep.at_key(where, f"metadata key {full!r} contains '[' or ']', which Stripe does not allow")
    if len(full) > MAX_KEY_LENGTH:
        rep.at_key(
            where,
            too_long(f"metadata key {full!r}", len(full), MAX_KEY_LENGTH),
        )


def _check_entitlements(
    rep: _Reporter, data: dict[str, Any], path: Path, prefixes: tuple[str, str]
) -> None:
    for name in _dict(data.get("limits")):
        _check_key(rep, name, (*path, "limits", name), prefixes[0])
    for name, value in _dict(data.get("features")).items():
        where = (*path, "features", name)
        _check_key(rep, name, where, prefixes[1])
        if isinstance(value, str):
            if len(value) > MAX_VALUE_LENGTH:
                rep.at_value(
                    where,
                    too_long("feature value", len(value), MAX_VALUE_LENGTH),
                )
            elif reads_back_differently(value):
                rep.at_value(
                    where,
                    f"text {value!r} would read back from Stripe as a boolean or number; "
                    "write it unquoted",
                )


def _metadata_count(product: dict[str, Any], price: dict[str, Any]) -> int:
    limits = {**_dict(product.get("limits")), **_dict(price.get("limits"))}
    features = {**_dict(product.get("features")), **_dict(price.get("features"))}
    reserved = 1 + (1 if "trial_days" in price else 0)
    return len(_dict(price.get("metadata"))) + len(limits) + len(features) + reserved


def _check_price(
    rep: _Reporter,
    data: dict[str, Any],
    price: dict[str, Any],
    path: Path,
    prefixes: tuple[str, str],
) -> None:
    for where, message in PRICE.problems(price):
        rep.at_value((*path, *where), message)
    _check_metadata(rep, _dict(price.get("metadata")), (*path, "metadata"), prefixes)
    _check_entitlements(rep, price, path, prefixes)
    count = _metadata_count(data, price)
    if count > MAX_METADATA_KEYS:
        rep.at_value(
            path,
            f"this price would carry {count} metadata keys; "
            f"Stripe allows at most {MAX_METADATA_KEYS}",
        )


def _check_product(rep: _Reporter, prefixes: tuple[str, str]) -> None:
    data = _dict(rep.source.doc.data)
    product = _dict(data.get("product"))
    for where, message in PRODUCT.problems(product):
        rep.at_value(("product", *where), message)
    _check_metadata(rep, _dict(product.get("metadata")), ("product", "metadata"), prefixes)
    if len(_dict(product.get("metadata"))) + 2 > MAX_METADATA_KEYS:
        rep.at_value(
            ("product", "metadata"),
            f"a product carries at most {MAX_METADATA_KEYS - 2} metadata keys of its own",
        )
    _check_entitlements(rep, data, (), prefixes)
    prices = _list(data.get("prices"))
    defaults = [i for i, p in enumerate(prices) if isinstance(p, dict) and p.get("default") is True]
    for extra in defaults[1:]:
        rep.at_value(("prices", extra, "default"), "only one price of a product can be its default")
    for i, price in enumerate(prices):
        if isinstance(price, dict):
            _check_price(rep, data, price, ("prices", i), prefixes)


def _duplicates(sources: list[SourceFile], out: list[Diagnostic]) -> None:
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for source in sources:
        if source.kind != "product":
            continue
        data = _dict(source.doc.data)
        places: list[tuple[str, str, Path]] = []
        key = _dict(data.get("product")).get("key")
        if isinstance(key, str):
            places.append(("product key", key, ("product", "key")))
        prices = _list(data.get("prices"))
        for i, price in enumerate(prices):
            lookup = _dict(price).get("lookup_key")
            if isinstance(lookup, str):
                places.append(("lookup key", lookup, ("prices", i, "lookup_key")))
        rep = _Reporter(source)
        for label, value, path in places:
            line, _ = source.doc.locate(path)
            first = seen.get((label, value))
            if first:
                rep.at_value(
                    path, f"duplicate {label} {value!r} (first declared at {first[0]}:{first[1]})"
                )
            else:
                seen[(label, value)] = (source.file, line)
        out.extend(rep.found)


def check_sources(sources: list[SourceFile]) -> list[Diagnostic]:
    """Every problem the schema cannot see, across all files at once."""
    config = next((s for s in sources if s.kind == "config"), None)
    prefixes_doc = _dict(_dict(config.doc.data).get("metadata_prefixes")) if config else {}
    limits_prefix = prefixes_doc.get("limits", "limits:")
    features_prefix = prefixes_doc.get("features", "features:")
    prefixes = (str(limits_prefix), str(features_prefix))
    out: list[Diagnostic] = []
    product_keys: set[str] = set()
    add_ons: set[str] = set()
    used_limits: set[str] = set()
    for source in sources:
        rep = _Reporter(source)
        for path, first, second in source.doc.duplicates:
            line, col = second
            out.append(
                Diagnostic(
                    source.file,
                    line,
                    col,
                    format_path(path),
                    f"duplicate key {path[-1]!r} (first at line {first[0]})",
                )
            )
        if source.kind == "product":
            _check_product(rep, prefixes)
            data = _dict(source.doc.data)
            key = _dict(data.get("product")).get("key")
            if isinstance(key, str):
                product_keys.add(key)
                if _dict(data.get("product")).get("add_on") is True:
                    add_ons.add(key)
            used_limits.update(_dict(data.get("limits")))
            for price in _list(data.get("prices")):
                used_limits.update(_dict(_dict(price).get("limits")))
        out.extend(rep.found)
    _duplicates(sources, out)
    if config:
        rep = _Reporter(config)
        data = _dict(config.doc.data)
        plan = data.get("default_plan")
        if isinstance(plan, str) and plan not in product_keys:
            rep.at_value(("default_plan",), f"default_plan {plan!r} is not the key of any product")
        if isinstance(plan, str) and plan in add_ons:
            rep.at_value(
                ("default_plan",),
                f"default_plan {plan!r} is an add-on; the default plan must be a base plan",
            )
        if prefixes[0] == prefixes[1]:
            rep.at_value(("metadata_prefixes",), "the limits and features prefixes must differ")
        for name in _dict(data.get("default_limits")):
            if name not in used_limits:
                rep.at_key(
                    ("default_limits", name), f"limit {name!r} is used by no plan", "warning"
                )
            _check_key(rep, name, ("default_limits", name), prefixes[0])
        out.extend(rep.found)
    return out
