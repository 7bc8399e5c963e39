"""`import`: plan files from an existing Stripe catalog, the adoption path (pure: the live
catalog in, file names and texts out; the command reads Stripe and writes the files).

Built so that `diff` right after an import is clean: every field the kinds declare is written
(`reconciler.kinds`), with the metadata limits/features/other and the default price. A value
the plan format cannot represent is listed in `lost` (the command stops on it unless
`--allow-loss`); objects the plan files could not identify are skipped and reported, never
guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from reconciler.metadata import RESERVED_KEYS
from reconciler.model import (
    AccountObject,
    Config,
    FeatureValue,
    Limit,
    LimitSpec,
    Price,
    Product,
    limit_spec,
    with_meter,
)
from reconciler.plans.dump import dump_config, dump_product
from reconciler.plans.objects import dump_objects
from reconciler.stripe_catalog.live import LiveCatalog, LivePrice, LiveProduct

CONFIG_FILE = "reconciler.yaml"
OBJECTS_FILE = "billing.yaml"
KEY_FORMAT = re.compile(r"[a-z0-9][a-z0-9_-]*")
V = TypeVar("V", LimitSpec, FeatureValue)


@dataclass(frozen=True)
class ImportResult:
    """File name -> YAML text, and a message for each object left out."""

    files: Mapping[str, str]
    skipped: tuple[str, ...]
    # Each value the account holds that the plan files cannot represent, by object and field:
    # the import command stops on them unless told to drop them (`--allow-loss`).
    lost: tuple[str, ...] = ()


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")
    return (slug or "product")[:60]


def _common(maps: list[Mapping[str, V]]) -> dict[str, V]:
    """The entries every map shares with the same value: written once on the product."""
    if not maps:
        return {}
    return {k: v for k, v in maps[0].items() if all(k in m and m[k] == v for m in maps[1:])}


def _product(
    live: LiveProduct, key: str, prices: list[LivePrice], meters: Mapping[str, str]
) -> Product:
    models = sorted((with_meter(p.price, meters) for p in prices), key=lambda p: p.lookup_key)
    default = next((p.price.lookup_key for p in prices if p.id == live.default_price_id), None)
    return Product(
        key=key,
        terms=live.terms,
        metadata=dict(live.metadata),
        prices=tuple(models),
        default_price=default,
        limits=_common([p.limits for p in models]),
        features=_common([p.features for p in models]),
        add_on=live.add_on,
    )


def _declared_meters(price: Price, events: set[str]) -> tuple[Price, list[str]]:
    """`price` without the meter of each limit that names no imported meter (the plan files
    could not declare it, so `validate` would refuse the file), and what was dropped."""
    limits = dict(price.limits)
    dropped: list[str] = []
    for name, spec in price.limits.items():
        if isinstance(spec, Limit) and spec.meter is not None and spec.meter not in events:
            limits[name] = limit_spec(replace(spec, meter=None))
            dropped.append(
                f"limit {name!r} bills meter events named {spec.meter!r}, but no active meter "
                "has that event name"
            )
    return (replace(price, limits=limits), dropped) if dropped else (price, [])


def catalog_to_plans(live: LiveCatalog, config: Config) -> ImportResult:
    """Plan files for every active product the diff can identify (by plan key, or through a
    price's lookup key), with its active prices that have lookup keys."""
    files: dict[str, str] = {}
    skipped: list[str] = []
    lost: list[str] = []
    objects = _objects(live, skipped)
    meters = {o.key: o.alias for o in objects if o.kind == "meter" and o.alias}
    events = {o.key for o in objects if o.kind == "meter"}
    taken: set[str] = {p.key for p in live.products if p.key}
    for product in sorted(live.products, key=lambda p: (p.key or "", p.created, p.id)):
        if not product.active:
            continue
        prices: list[LivePrice] = []
        for price in live.prices_of(product.id):
            if not price.price.active:
                continue
            if not price.price.lookup_key:
                skipped.append(f"price {price.id} of {product.id}: no lookup key")
                continue
            if price.metadata_errors:
                skipped.append(f"price {price.id}: {'; '.join(price.metadata_errors)}")
                continue
            model, dropped = _declared_meters(price.price, events)
            shown = f"price {model.lookup_key} ({price.id})"
            lost.extend(f"{shown}: {item}" for item in dropped)
            prices.append(replace(price, price=model))
        key = product.key
        if key is None:
            if not prices:
                skipped.append(
                    f"product {product.id} ({product.name}): no plan-key metadata and no price "
                    "with a lookup key, so a plan file could not be matched to it"
                )
                continue
            key = _unique(_slug(product.name), taken)
        files[f"{key}.yaml"] = dump_product(_product(product, key, prices, meters))
        lost.extend(f"product {key} ({product.id}): {item}" for item in product.lost)
        for price in prices:
            shown = f"price {price.price.lookup_key} ({price.id})"
            lost.extend(f"{shown}: {item}" for item in price.lost)
    if objects:
        files[OBJECTS_FILE] = dump_objects(objects)
    entitlements = any(o.managed and o.active for o in live.objects_of("feature"))
    files[CONFIG_FILE] = dump_config(replace(config, stripe_entitlements=entitlements))
    return ImportResult(files, tuple(skipped), tuple(lost))


def _objects(live: LiveCatalog, skipped: list[str]) -> tuple[AccountObject, ...]:
    """The meters, coupons and promotion codes a plan file can name: active meters (keyed by
    their event name), coupons with a plan key (their own, or an id that fits the key
    format) and the active codes of those coupons. Entitlements features are not written:
    `stripe_entitlements: true` derives them from the boolean features."""
    found: list[AccountObject] = []
    aliases: set[str] = set()
    for meter in live.objects_of("meter"):
        if meter.active:
            fits = KEY_FORMAT.fullmatch(meter.key) and meter.key not in aliases
            alias = meter.key if fits else _unique(_slug(meter.key), aliases)
            aliases.add(alias)
            found.append(AccountObject("meter", meter.key, meter.terms, alias=alias))
    coupons: set[str] = set()
    for coupon in live.objects_of("coupon"):
        if not coupon.active:
            continue
        if not KEY_FORMAT.fullmatch(coupon.key):
            skipped.append(f"coupon {coupon.id}: no plan-key metadata and an id that is no key")
            continue
        coupons.add(coupon.key)
        found.append(AccountObject("coupon", coupon.key, coupon.terms, _own(coupon.metadata)))
    for code in live.objects_of("promotion_code"):
        if not code.active:
            continue
        if code.terms["coupon"] not in coupons:
            skipped.append(f"promotion code {code.key}: its coupon is not imported")
            continue
        found.append(AccountObject("promotion_code", code.key, code.terms, _own(code.metadata)))
    for portal in live.objects_of("portal_configuration"):
        if portal.managed and portal.active:
            terms, metadata = portal.terms, _own(portal.metadata)
            found.append(AccountObject("portal_configuration", "default", terms, metadata))
            break
    return tuple(found)


def _own(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Metadata without the tool's markers."""
    return {k: v for k, v in (metadata or {}).items() if k not in RESERVED_KEYS}


def _unique(base: str, taken: set[str]) -> str:
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add(key)
    return key
