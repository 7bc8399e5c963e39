"""Managed objects no plan declares: archived with `--prune` (or always, for an orphan of an
interrupted replacement), otherwise noted; unmanaged ones are only ever noted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.kinds.identity import Identities
from reconciler.model import Catalog
from reconciler.reconcile.changes import Change, Note, Notice, Unmanaged, field_changes
from reconciler.reconcile.meters import MeterOutcome, stranded_meter
from reconciler.reconcile.plan import DiffOptions
from reconciler.reconcile.state import live_price_state, live_product_state
from reconciler.stripe_catalog.live import LiveCatalog, LivePrice, LiveProduct


@dataclass
class Collector:
    """Accumulates changes and notes while one diff walks the catalog."""

    changes: list[Change] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    matched_products: set[str] = field(default_factory=set)
    matched_prices: set[str] = field(default_factory=set)
    desired: Catalog = field(default_factory=Catalog)
    # What the plan does to each declared meter (by event name): metered prices follow it.
    meters: Mapping[str, MeterOutcome] = field(default_factory=dict)
    # Every live object's identity (`reconciler.stripe_catalog.identities`).
    identities: Identities = field(default_factory=Identities)
    # `kind:key` of declared objects that several unmanaged objects could be: neither adopted
    # nor created (without --allow-duplicates).
    blocked: set[str] = field(default_factory=set)
    # Stripe id -> identity key, of the products and prices made by hand (no plan key or
    # lookup key), which other objects' live states name by id.
    renamed: dict[str, str] = field(default_factory=dict)
    # Stripe price id -> the lookup key of the declared price it was matched to.
    named: dict[str, str] = field(default_factory=dict)


def undeclared_price(
    price: LivePrice,
    owner: LiveProduct | None,
    live: LiveCatalog,
    options: DiffOptions,
    out: Collector,
) -> None:
    """A live price no plan declares: archived with --prune (or always, for an orphan of an
    interrupted replacement, which has lost its lookup key). When it is its product's default,
    the apply unsets or moves that default first (its product's change says which)."""
    lookup_key = price.price.lookup_key
    shown = lookup_key or f"({price.id})"
    if not price.managed:
        if price.price.active and owner is not None and owner.managed:
            out.notes.append(Unmanaged("price", shown, price.id, "not managed by reconciler"))
        return
    if not price.price.active:
        return
    if price.legacy:
        out.notes.append(
            Notice(
                f"price:{shown}",
                price.id,
                "not declared; a legacy price is read-only: reconciler never archives it",
            )
        )
        return
    orphan = not lookup_key
    if not (options.prune or orphan):
        why = "not declared; --prune archives it"
        event = stranded_meter(price, out.meters)
        if event is not None:
            why += (
                f"; it bills against meter {price.meter_id}, which no longer receives "
                f"{event} usage after this plan: declare it to move it to the new meter"
            )
        out.notes.append(Notice(f"price:{shown}", price.id, why))
        return
    product_key = owner.key if owner is not None and owner.key else price.product_id
    before = live_price_state(price, product_key)
    after = {**before, "active": False}
    reason = "left active by an interrupted replacement" if orphan else "not declared"
    out.changes.append(
        Change(
            action="archive",
            kind="price",
            identity=lookup_key,
            group=product_key,
            group_id=price.product_id,
            stripe_id=price.id,
            before=before,
            after=after,
            fields=field_changes(before, after),
            reason=reason,
            finishes_replacement=orphan,
        )
    )


def undeclared_product(
    product: LiveProduct, live: LiveCatalog, options: DiffOptions, out: Collector
) -> None:
    shown = product.key or f"({product.id})"
    if not product.managed:
        if product.active:
            count = sum(1 for p in live.prices_of(product.id) if p.price.active)
            out.notes.append(
                Unmanaged(
                    "product",
                    shown,
                    product.id,
                    f"not managed by reconciler ({count} active price(s))",
                )
            )
        return
    if not product.active:
        return
    if not options.prune:
        out.notes.append(
            Notice(f"product:{shown}", product.id, "not declared; --prune archives it")
        )
        out.matched_prices.update(p.id for p in live.prices_of(product.id))
        return
    before = live_product_state(product, live, out.identities)
    # Its default price is unset first, so every managed price of it can be archived.
    after = {**before, "active": False, "default_price": None}
    out.changes.append(
        Change(
            action="archive",
            kind="product",
            identity=shown,
            group=shown,
            group_id=product.id,
            stripe_id=product.id,
            before=before,
            after=after,
            fields=field_changes(before, after),
            reason="not declared",
        )
    )
    for price in live.prices_of(product.id):
        if price.id in out.matched_prices:
            continue  # a declared lookup key's holder: its replacement archives it
        out.matched_prices.add(price.id)
        undeclared_price(price, product, live, options, out)
