"""The pure diff: desired catalog + live catalog + options -> a Plan of change values.

Identity is the product key (Stripe metadata `plan-key`) and each price's lookup key. Objects
without the ownership marker are never changed unless `--adopt` takes them over; undeclared
managed objects are archived only with `--prune`.
"""

from __future__ import annotations

from reconciler.model import Catalog, Config, Price, Product
from reconciler.reconcile.changes import Carried, Change, Unmanaged, field_changes
from reconciler.reconcile.meters import follow_reason, meter_outcomes
from reconciler.reconcile.objects import diff_objects, managed_objects
from reconciler.reconcile.plan import DiffOptions, Plan
from reconciler.reconcile.state import (
    desired_price_state,
    desired_product_state,
    live_price_state,
    live_product_key,
    live_product_state,
    needs_replacement,
)
from reconciler.reconcile.undeclared import Collector, undeclared_price, undeclared_product
from reconciler.stripe_catalog.live import LiveCatalog, LivePrice, LiveProduct

ADOPT_HINT = "not managed by reconciler; --adopt takes it over"


def diff(
    desired: Catalog, live: LiveCatalog, options: DiffOptions, config: Config | None = None
) -> Plan:
    """Every change that brings `live` to `desired`; no I/O."""
    cfg = config or Config()
    out = Collector(desired=desired, meters=meter_outcomes(desired, live))
    for product in desired.products:
        _diff_product(product, live, options, cfg, out)
    for live_product in live.products:
        if live_product.id not in out.matched_products:
            undeclared_product(live_product, live, options, out)
    for price in live.prices:
        if price.id not in out.matched_prices and live.product_by_id(price.product_id) is None:
            undeclared_price(price, None, live, options, out)
    diff_objects(desired, live, options, out)
    # The rail's base: active managed prices, not counting old prices an interrupted
    # replacement left active (they lost their lookup key): after a kill mid-replacement the
    # catalog holds both prices of each pair, which must not make the rerun look larger.
    managed = sum(1 for p in live.prices if p.managed and p.price.active and p.price.lookup_key)
    bases = {"price": managed, **managed_objects(live)}
    return Plan(tuple(out.changes), tuple(out.notes), options, bases)


def _match_product(product: Product, live: LiveCatalog) -> LiveProduct | None:
    """The live product for a declared one: by plan key (managed first), else an unmanaged
    product holding one of its lookup keys (an adoption candidate)."""
    by_key = sorted(
        (p for p in live.products if p.key == product.key), key=lambda p: (not p.managed, p.created)
    )
    if by_key:
        return by_key[0]
    for declared in product.prices:
        for price in live.prices_with_lookup_key(declared.lookup_key):
            owner = live.product_by_id(price.product_id)
            if owner is not None and not owner.managed and owner.key is None:
                return owner
    return None


def _holder(lookup_key: str, live: LiveCatalog) -> LivePrice | None:
    """The price holding a lookup key (Stripe keeps them unique; active first to be safe)."""
    holders = sorted(
        live.prices_with_lookup_key(lookup_key),
        key=lambda p: (not p.price.active, -p.created),
    )
    return holders[0] if holders else None


def _diff_product(
    product: Product, live: LiveCatalog, options: DiffOptions, config: Config, out: Collector
) -> None:
    current = _match_product(product, live)
    if current is not None:
        out.matched_products.add(current.id)
        if not current.managed and not options.adopt:
            out.notes.append(Unmanaged("product", product.key, current.id, ADOPT_HINT))
            out.matched_prices.update(p.id for p in live.prices_of(current.id))
            return
    after = dict(desired_product_state(product))
    if current is None:
        out.changes.append(
            Change(
                action="create",
                kind="product",
                identity=product.key,
                group=product.key,
                after=after,
                fields=field_changes(None, after),
            )
        )
    else:
        before = live_product_state(current, live)
        fields = field_changes(before, after)
        if fields:
            reason = "adopt" if not current.managed else ""
            out.changes.append(
                Change(
                    action="update",
                    kind="product",
                    identity=product.key,
                    group=product.key,
                    group_id=current.id,
                    stripe_id=current.id,
                    before=before,
                    after=after,
                    fields=fields,
                    reason=reason,
                )
            )
    for price in product.prices:
        _diff_price(product, price, current, live, options, config, out)
    if current is not None:
        # The product's default moves to the declared one or is unset, so any of its prices
        # can be archived.
        for live_price in live.prices_of(current.id):
            if live_price.id not in out.matched_prices:
                undeclared_price(live_price, current, live, options, out)


def _diff_price(
    product: Product,
    price: Price,
    owner: LiveProduct | None,
    live: LiveCatalog,
    options: DiffOptions,
    config: Config,
    out: Collector,
) -> None:
    after = desired_price_state(price, product.key, config)
    held = _holder(price.lookup_key, live)
    if held is None:
        out.changes.append(
            Change(
                action="create",
                kind="price",
                identity=price.lookup_key,
                group=product.key,
                group_id=owner.id if owner else None,
                after=after,
                fields=field_changes(None, after),
            )
        )
        return
    out.matched_prices.add(held.id)
    if not held.managed and not options.adopt:
        out.notes.append(Unmanaged("price", price.lookup_key, held.id, ADOPT_HINT))
        return
    same_product = owner is not None and held.product_id == owner.id
    product_key = product.key if same_product else live_product_key(live, held.product_id)
    before = live_price_state(held, product_key)
    fields = field_changes(before, after)
    # A price on a meter this plan replaces (or an earlier apply did) moves to the new meter.
    follows = follow_reason(price, held, out.meters)
    if not fields and follows is None:
        return
    if needs_replacement("price", before, after) or follows is not None:
        is_default = owner is not None and owner.default_price_id == held.id
        stays = _default_stays(held, owner, live, options, out.desired)
        reasons = [follows[1]] if follows is not None else []
        if stays is not None:
            reasons.append(
                f"the old price stays active: it is the default price of product {stays}, "
                "which no plan declares (--prune archives that product and its prices)"
            )
        carried = Carried(
            moves_default=is_default and product.default_price == price.lookup_key,
            archive_old=stays is None,
            migrate_subscribers=options.migrate_subscribers,
            proration_behavior=product.proration_behavior,
            follows_meter=follows[0] if follows is not None else None,
        )
        out.changes.append(
            Change(
                action="replace",
                kind="price",
                identity=price.lookup_key,
                group=product.key,
                stripe_id=held.id,
                group_id=owner.id if owner else None,
                before=before,
                after=after,
                fields=fields,
                reason="; ".join(reasons),
                carried=carried,
            )
        )
        return
    reason = "adopt" if not held.managed else ""
    out.changes.append(
        Change(
            action="update",
            kind="price",
            identity=price.lookup_key,
            group=product.key,
            group_id=held.product_id,
            stripe_id=held.id,
            before=before,
            after=after,
            fields=fields,
            reason=reason,
        )
    )


def _default_stays(
    old: LivePrice,
    owner: LiveProduct | None,
    live: LiveCatalog,
    options: DiffOptions,
    desired: Catalog,
) -> str | None:
    """The product (key or id) whose default `old` stays after the apply, or None when its
    default moves away or is unset first (Stripe refuses to archive a default price). Only a
    product no plan declares, left alone without --prune, keeps it."""
    holder = live.product_by_id(old.product_id)
    if holder is None or holder.default_price_id != old.id:
        return None
    if owner is not None and holder.id == owner.id:
        return None
    if holder.key and desired.product(holder.key) is not None:
        return None
    if options.prune and holder.managed:
        return None
    return holder.key or holder.id
