"""Which live object a declared product or price names, and how it was found.

In order: the tool's own identity (a product's plan key, a price's lookup key); the identity an
account made by hand yields (`reconciler.stripe_catalog.identities`: a product's name, a
price's product and terms, the same keys `import` writes); and last, for plan files written by
hand, the shape (a product by its name, a price by the terms Stripe cannot change, within that
product). A shape that fits two objects is ambiguous and never guessed. Only objects the tool
does not manage are matched past the first step. Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.kinds import KINDS
from reconciler.kinds.identity import Identities
from reconciler.model import Price, Product
from reconciler.reconcile.changes import State
from reconciler.stripe_catalog.live import LiveCatalog, LivePrice, LiveProduct


@dataclass(frozen=True)
class Found:
    """The live object matched, and how (empty for the tool's own identity)."""

    stripe_id: str
    how: str = ""


@dataclass(frozen=True)
class Ambiguous:
    """Several unmanaged objects fit a declared one: the plan names them and adopts none."""

    stripe_ids: tuple[str, ...]
    how: str


Match = Found | Ambiguous | None


@dataclass(frozen=True)
class Index:
    """What matching looks up per declared object, built once per diff: the unmanaged
    products and keyless unmanaged prices, with the keys their identities give them."""

    live: LiveCatalog
    ids: Identities
    products: tuple[LiveProduct, ...]
    product_by_key: dict[str, LiveProduct]
    price_by_key: dict[str, LivePrice]
    keyless_of: dict[str, tuple[LivePrice, ...]]

    @classmethod
    def of(cls, live: LiveCatalog, ids: Identities) -> Index:
        free = tuple(p for p in live.products if _adoptable(p))
        keyless = [p for p in live.prices if not p.price.lookup_key and not p.managed]
        of: dict[str, list[LivePrice]] = {}
        for price in keyless:
            of.setdefault(price.product_id, []).append(price)
        return cls(
            live,
            ids,
            free,
            {k: p for p in reversed(free) if (k := _key(ids, "product", p.id)) is not None},
            {k: p for p in reversed(keyless) if (k := _key(ids, "price", p.id)) is not None},
            {product: tuple(prices) for product, prices in of.items()},
        )


def match_product(product: Product, index: Index, taken: set[str]) -> Match:
    """The live product for a declared one (`taken`: products matched already)."""
    live = index.live
    by_key = sorted(
        (p for p in live.products if p.key == product.key and p.id not in taken),
        key=lambda p: (not p.managed, p.created),
    )
    if by_key:
        return Found(by_key[0].id)
    for declared in product.prices:
        for price in live.prices_with_lookup_key(declared.lookup_key):
            owner = live.product_by_id(price.product_id)
            if owner is not None and _adoptable(owner) and owner.id not in taken:
                return Found(owner.id, f"it holds lookup key {declared.lookup_key}")
    derived = index.product_by_key.get(product.key)
    if derived is not None and derived.id not in taken:
        return Found(derived.id, f"its name {derived.name!r} gives key {product.key}")
    named = [
        p.id for p in index.products if p.active and p.name == product.name and p.id not in taken
    ]
    return _one(
        named,
        f"it is the only unmanaged product named {product.name!r}",
        f"named {product.name!r}",
    )


def match_price(
    price: Price, after: State, owner: LiveProduct | None, index: Index, taken: set[str]
) -> Match:
    """The live price for a declared one: its lookup key's holder, else (for an unmanaged
    price with no lookup key) the one whose product and terms give that key, else one of the
    owner's with the same terms. `after` is the declared price's plan state."""
    holders = sorted(
        index.live.prices_with_lookup_key(price.lookup_key),
        key=lambda p: (not p.price.active, -p.created),
    )
    if holders:
        return Found(holders[0].id)
    derived = index.price_by_key.get(price.lookup_key)
    if derived is not None and derived.id not in taken:
        return Found(derived.id, f"its product and terms give key {price.lookup_key}")
    if owner is None:
        return None
    alike = [
        p.id
        for p in index.keyless_of.get(owner.id, ())
        if p.id not in taken
        and p.price.active == price.active
        and not _forcing({**p.price.terms, "product": after.get("product")}, after)
    ]
    return _one(
        alike,
        "it is the only unmanaged price of its product with the same terms",
        "of the product with the same terms",
    )


def _forcing(before: State, after: State) -> tuple[str, ...]:
    return KINDS["price"].forcing(before, after)


def _adoptable(product: LiveProduct) -> bool:
    """A product the tool may take over: neither managed nor keyed by another plan."""
    return not product.managed and product.key is None


def _key(ids: Identities, kind: str, stripe_id: str) -> str | None:
    found = ids.get(kind, stripe_id)
    return found.key if found is not None else None


def _one(candidates: Iterable[str], one: str, several: str) -> Match:
    """The match of a shape: one candidate (found, `one` says why), several (ambiguous, each
    `several`), or none."""
    found = tuple(candidates)
    if not found:
        return None
    if len(found) == 1:
        return Found(found[0], one)
    return Ambiguous(found, several)
