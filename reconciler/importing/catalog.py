"""`import`: plan files from an existing Stripe account, with nothing skipped (pure: the live
catalog and the subscriber counts of archived prices in, file names, texts and a summary out;
the command reads Stripe and writes the files).

Every object gets the key its kind's identity rules give it (`stripe_catalog.identities`, the
same function the diff calls): a product without a plan key is named after its name, a price
without a lookup key after its product and terms, so a second import of the same account writes
byte-identical files. Active objects are written; an archived price that subscriptions still
pay (grandfathered) is written inactive with its subscriber count, and `include_archived`
writes every archived product and price (and inactive promotion codes). A value the plan files
cannot hold is listed in `lost` (the command stops on it unless `--allow-loss`); the values of
read-only legacy prices are only noted, since the tool never recreates those prices.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from reconciler.importing.objects import ObjectsImport, import_objects
from reconciler.kinds.identity import Identities
from reconciler.model import (
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
from reconciler.stripe_catalog.identities import identities
from reconciler.stripe_catalog.live import LiveCatalog, LivePrice, LiveProduct

CONFIG_FILE = "reconciler.yaml"
OBJECTS_FILE = "billing.yaml"
V = TypeVar("V", LimitSpec, FeatureValue)
# The kinds a summary counts, in the order it lists them.
KINDS = (
    "product",
    "price",
    "meter",
    "coupon",
    "promotion_code",
    "feature",
    "product_feature",
    "portal_configuration",
)


@dataclass(frozen=True)
class ImportResult:
    """File name -> YAML text, and what the summary says: the objects written per kind (of
    them, the inactive prices), the archived or inactive objects left out per kind (written
    with `include_archived`, except kinds whose files cannot say inactive), each grandfathered
    price, each value the files cannot hold (`lost`), each legacy value kept read-only, and
    each coupon made by hand whose id, of the shape Stripe generates, is not written."""

    files: Mapping[str, str]
    lost: tuple[str, ...] = ()
    written: Mapping[str, int] = field(default_factory=dict)
    left_out: Mapping[str, int] = field(default_factory=dict)
    grandfathered: tuple[str, ...] = ()
    read_only: tuple[str, ...] = ()
    ids_not_written: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        """The counts as `--format json` prints them."""
        return {
            "written": {k: self.written.get(k, 0) for k in KINDS},
            "left_out": {k: v for k, v in sorted(self.left_out.items()) if v},
            "grandfathered": list(self.grandfathered),
            "read_only": list(self.read_only),
            "dropped": list(self.lost),
            "ids_not_written": list(self.ids_not_written),
        }


def _common(maps: list[Mapping[str, V]]) -> dict[str, V]:
    """The entries every map shares with the same value: written once on the product."""
    if not maps:
        return {}
    return {k: v for k, v in maps[0].items() if all(k in m and m[k] == v for m in maps[1:])}


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


@dataclass
class _Tally:
    lost: list[str] = field(default_factory=list)
    written: Counter[str] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)
    grandfathered: list[str] = field(default_factory=list)
    read_only: list[str] = field(default_factory=list)


def _price(
    live: LivePrice, lookup_key: str, meters: Mapping[str, str], tally: _Tally
) -> tuple[Price, str]:
    """One price as its plan file declares it, and how it is shown in messages."""
    shown = f"price {lookup_key} ({live.id})"
    model, dropped = _declared_meters(live.price, set(meters))
    recurring = model.terms.get("recurring") or {}
    meter = recurring.get("meter")
    if meter is not None and meter not in meters:
        dropped.append(f"it bills meter {meter!r}, which is not active")
    model = with_meter(replace(model, terms={**model.terms, "lookup_key": lookup_key}), meters)
    tally.lost += [f"{shown}: {item}" for item in dropped]
    tally.lost += [f"{shown}: metadata {error}" for error in live.metadata_errors]
    if live.price.legacy:
        tally.read_only += [f"{shown}: {item} (legacy, kept read-only)" for item in live.lost]
    else:
        tally.lost += [f"{shown}: {item}" for item in live.lost]
    return model, shown


def _product_file(
    product: LiveProduct,
    live: LiveCatalog,
    ids: Identities,
    meters: Mapping[str, str],
    subscribers: Mapping[str, int],
    written: set[str],
    tally: _Tally,
) -> tuple[Product, dict[str, str]]:
    """A product with the prices its file holds, and the notes written above prices."""
    key = ids.key("product", product.id)
    prices: list[Price] = []
    notes: dict[str, str] = {}
    default: str | None = None
    for price in live.prices_of(product.id):
        paying = subscribers.get(price.id, 0)
        if price.id not in written:
            tally.left_out["price"] += 1
            continue
        lookup_key = ids.key("price", price.id)
        model, shown = _price(price, lookup_key, meters, tally)
        prices.append(model)
        tally.written["price"] += 1
        if paying and not price.price.active:
            counted = f"{paying} subscription{'s' if paying != 1 else ''}"
            verb = "pays" if paying == 1 else "pay"
            notes[lookup_key] = f"archived; {counted} still {verb} this price"
            tally.grandfathered.append(f"{shown} of {key}: archived, {counted} still {verb} it")
        if price.id == product.default_price_id:
            default = lookup_key
    tally.lost += [f"product {key} ({product.id}): {item}" for item in product.lost]
    models = sorted(prices, key=lambda p: p.lookup_key)
    made = Product(
        key=key,
        terms=product.terms,
        metadata=dict(product.metadata),
        prices=tuple(models),
        default_price=default,
        limits=_common([p.limits for p in models]),
        features=_common([p.features for p in models]),
        add_on=product.add_on,
    )
    return made, notes


def catalog_to_plans(
    live: LiveCatalog,
    config: Config,
    subscribers: Mapping[str, int] | None = None,
    include_archived: bool = False,
) -> ImportResult:
    """Plan files for the account: one per product, the objects file and reconciler.yaml.
    `subscribers` holds, per archived price id, the subscriptions still paying it."""
    subscribers = subscribers or {}
    ids = identities(live)
    tally = _Tally()
    # An archived product is written when asked, or when a grandfathered price needs it.
    paying = {p.product_id for p in live.prices if subscribers.get(p.id, 0)}
    products = {p.id for p in live.products if p.active or include_archived or p.id in paying}
    prices = {
        p.id
        for p in live.prices
        if p.product_id in products
        and (p.price.active or include_archived or subscribers.get(p.id, 0))
    }
    granted: dict[str, set[str]] = {}
    for price in live.prices:
        if price.id in prices:
            names = {name for name, value in price.price.features.items() if value is True}
            granted.setdefault(ids.key("product", price.product_id), set()).update(names)
    objects: ObjectsImport = import_objects(live, ids, products, prices, include_archived, granted)
    meters = {o.key: o.alias or o.key for o in objects.objects if o.kind == "meter"}
    files: dict[str, str] = {}
    for product in sorted(live.products, key=lambda p: ids.key("product", p.id)):
        if product.id not in products:
            # Left out with its prices.
            tally.left_out["product"] += 1
            tally.left_out["price"] += len(live.prices_of(product.id))
            continue
        model, notes = _product_file(product, live, ids, meters, subscribers, prices, tally)
        files[f"{model.key}.yaml"] = dump_product(model, notes)
        tally.written["product"] += 1
    tally.lost += objects.lost
    tally.written.update(Counter(o.kind for o in objects.objects))
    tally.written.update(objects.implied)
    tally.left_out.update(objects.left_out)
    if objects.objects:
        files[OBJECTS_FILE] = dump_objects(objects.objects)
    entitlements = tally.written["feature"] > 0
    files[CONFIG_FILE] = dump_config(replace(config, stripe_entitlements=entitlements))
    return ImportResult(
        files,
        lost=tuple(tally.lost),
        written=dict(tally.written),
        left_out=dict(tally.left_out),
        grandfathered=tuple(tally.grandfathered),
        read_only=tuple(tally.read_only),
        ids_not_written=objects.ids_not_written,
    )


__all__ = ["CONFIG_FILE", "OBJECTS_FILE", "ImportResult", "catalog_to_plans"]
