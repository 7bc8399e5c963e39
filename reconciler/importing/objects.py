"""`import`'s account-level objects: meters, coupons, promotion codes, Entitlements features
and their attachments, portal configurations, each under its identity key, with the references
between them (a coupon's products, a code's coupon, a portal's products and prices) renamed
from what the reader saw (a plan key or a Stripe id) to the keys the files use. Pure.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.kinds.coupon import chosen_id
from reconciler.kinds.identity import Identities, slug, unique
from reconciler.metadata import CHOSEN_ID_KEY, RESERVED_KEYS
from reconciler.model import AccountObject
from reconciler.stripe_catalog.live import LiveCatalog, LiveObject

KEY_FORMAT = re.compile(r"[a-z0-9][a-z0-9_-]*")


@dataclass(frozen=True)
class ObjectsImport:
    """The objects the files hold, what they cannot (`lost`), and the inactive objects left
    out, per kind."""

    objects: tuple[AccountObject, ...]
    lost: tuple[str, ...] = ()
    left_out: Mapping[str, int] = field(default_factory=dict)
    # Objects the files hold without writing them: the features and attachments that
    # `stripe_entitlements: true` derives from the boolean features, per kind.
    implied: Mapping[str, int] = field(default_factory=dict)
    # Coupons made by hand whose id has the shape of Stripe's, written without it.
    ids_not_written: tuple[str, ...] = ()


def own_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Metadata without the tool's markers."""
    return {k: v for k, v in (metadata or {}).items() if k not in RESERVED_KEYS}


def _refs(pairs: Iterable[tuple[str | None, str]]) -> dict[str, str]:
    return {seen: key for seen, key in pairs if seen}


class _Objects:
    def __init__(self, live: LiveCatalog, ids: Identities) -> None:
        self.live, self.ids = live, ids
        self.found: list[AccountObject] = []
        self.lost: list[str] = []
        self.left_out: Counter[str] = Counter()
        self.implied: Counter[str] = Counter()
        self.ids_not_written: list[str] = []

    def of(self, kind: str) -> list[LiveObject]:
        """The objects of a kind in the order of their keys (the reader's order is Stripe's)."""
        return sorted(self.live.objects_of(kind), key=lambda o: self.ids.key(kind, o.id))

    def rename(self, what: str, seen: list[str], refs: Mapping[str, str], shown: str) -> list[str]:
        """References by plan key or id, renamed to file keys; each unknown one is lost."""
        for missing in (s for s in seen if s not in refs):
            self.lost.append(f"{shown}: {what} {missing!r} is not written")
        return [refs[s] for s in seen if s in refs]


def import_objects(
    live: LiveCatalog,
    ids: Identities,
    products: set[str],
    prices: set[str],
    include_archived: bool,
    granted: Mapping[str, set[str]] | None = None,
) -> ObjectsImport:
    """Every account-level object the files can hold. `products` and `prices` are the ids of
    those written, which references may name; `granted` holds the boolean features each
    written product grants (product key -> names), which derive features and attachments."""
    out = _Objects(live, ids)
    written = [p for p in live.products if p.id in products]
    product_refs = _refs(
        (seen, ids.key("product", p.id)) for p in written for seen in (p.id, p.key)
    )
    price_refs = _refs(
        (seen, ids.key("price", p.id))
        for p in live.prices
        if p.id in prices
        for seen in (p.id, p.price.lookup_key)
    )
    _meters(out)
    coupon_refs: dict[str, str] = {}
    for coupon in out.of("coupon"):
        if not (coupon.active or include_archived):
            out.left_out["coupon"] += 1
            continue
        key = ids.key("coupon", coupon.id)
        shown = f"coupon {key} ({coupon.id})"
        terms = dict(coupon.terms)
        if terms.get("applies_to"):
            renamed = out.rename("product", list(terms["applies_to"]), product_refs, shown)
            if not renamed:
                # Without its products it would apply to every product: not written.
                out.lost.append(f"{shown}: not written, it applies to no product written")
                continue
            terms["applies_to"] = renamed
        # An id of Stripe's shape is written when apply recorded that the files chose it.
        recorded = (coupon.metadata or {}).get(CHOSEN_ID_KEY) == coupon.id
        own_id = coupon.id if chosen_id(coupon.id) or recorded else None
        if own_id is None and not coupon.managed:
            # Stripe's ids are not written, so the files fit another account (test and live
            # mode); a team's own id of the same shape (SUMMER24) cannot be told apart.
            out.ids_not_written.append(
                f"{shown}: Stripe generates ids of this shape, so the files do not keep it and "
                f"another account gets its own; if your team chose it, add `id: {coupon.id}`"
            )
        metadata = own_metadata(coupon.metadata)
        out.found.append(AccountObject("coupon", key, terms, metadata, own_id=own_id))
        coupon_refs.update({coupon.key: key, coupon.id: key})
    for code in out.of("promotion_code"):
        if not (code.active or include_archived):
            out.left_out["promotion_code"] += 1
            continue
        key = ids.key("promotion_code", code.id)
        shown = f"promotion code {key} ({code.id})"
        renamed = out.rename("coupon", [str(code.terms["coupon"])], coupon_refs, shown)
        if not renamed:
            continue  # a code without its coupon cannot be written
        terms = {**code.terms, "coupon": renamed[0]}
        out.found.append(AccountObject("promotion_code", key, terms, own_metadata(code.metadata)))
    _features(out, product_refs, granted or {})
    _portals(out, product_refs, price_refs)
    found = tuple(sorted(out.found, key=lambda o: (o.kind, o.key)))
    return ObjectsImport(
        found,
        tuple(out.lost),
        dict(out.left_out),
        dict(out.implied),
        tuple(out.ids_not_written),
    )


def _meters(out: _Objects) -> None:
    """Active meters, keyed by their event name; the plan key prices name them by is the
    event name when it fits the key format, else a key made from it."""
    aliases: set[str] = set()
    for meter in out.of("meter"):
        if not meter.active:
            out.left_out["meter"] += 1  # the files cannot say a meter is deactivated
            continue
        event = out.ids.key("meter", meter.id)
        fits = KEY_FORMAT.fullmatch(event) and event not in aliases
        alias = event if fits else unique(slug(event, "meter"), aliases)
        aliases.add(alias)
        out.found.append(AccountObject("meter", event, meter.terms, alias=alias))


def _features(
    out: _Objects, product_refs: Mapping[str, str], granted: Mapping[str, set[str]]
) -> None:
    """Active features, and their attachments to written products. A feature the tool
    derives from a boolean feature (its own, named by its lookup key) is implied by the plan
    files, and so is its attachment to a product granting that feature: neither is written."""
    written: set[str] = set()
    derived: set[str] = set()
    listed: list[AccountObject] = []
    for feature in out.of("feature"):
        if not feature.active:
            out.left_out["feature"] += 1  # archived: the files cannot say so
            continue
        key = out.ids.key("feature", feature.id)
        written.add(key)
        metadata = own_metadata(feature.metadata)
        if feature.managed and feature.terms.get("name") == key and not metadata:
            derived.add(key)
        listed.append(AccountObject("feature", key, feature.terms, metadata))
    kept: set[str] = set()
    by_id = {p.id: p for p in out.live.products}
    for attached in out.of("product_feature"):
        product = by_id.get(attached.owner_id or "")
        seen = (product.key or product.id) if product else None
        lookup_key = str(attached.terms["entitlement_feature"])
        if seen is None or seen not in product_refs or lookup_key not in written:
            out.left_out["product_feature"] += 1
            continue
        terms = {"product": product_refs[seen], "entitlement_feature": lookup_key}
        if lookup_key in derived and lookup_key in granted.get(terms["product"], set()):
            out.implied["product_feature"] += 1
            continue
        kept.add(lookup_key)
        key = f"{terms['product']}/{lookup_key}"
        out.found.append(AccountObject("product_feature", key, terms))
    for declared in listed:
        if declared.key in derived and declared.key not in kept:
            out.implied["feature"] += 1
        else:
            out.found.append(declared)


def _portals(out: _Objects, product_refs: Mapping[str, str], price_refs: Mapping[str, str]) -> None:
    """Active portal configurations, their plan-switching products and prices renamed."""
    for portal in out.of("portal_configuration"):
        if not portal.active:
            out.left_out["portal_configuration"] += 1  # the files cannot say so
            continue
        key = out.ids.key("portal_configuration", portal.id)
        terms: dict[str, Any] = dict(portal.terms)
        features = dict(terms["features"])
        switching = dict(features["subscription_update"])
        if switching.get("products") is not None:
            shown = f"portal configuration {key} ({portal.id})"
            renamed: dict[str, list[str]] = {}
            for product, listed in switching["products"].items():
                for new in out.rename("product", [product], product_refs, shown):
                    renamed[new] = sorted(out.rename("price", list(listed), price_refs, shown))
            switching["products"] = dict(sorted(renamed.items()))
        features["subscription_update"] = switching
        terms["features"] = features
        metadata = own_metadata(portal.metadata)
        out.found.append(AccountObject("portal_configuration", key, terms, metadata))
