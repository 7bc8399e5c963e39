"""The pure diff: desired catalog + live catalog + options -> a Plan of change values.

A declared product or price is matched to a live one by the tool's identity (a product's
`plan-key`, a price's lookup key), else by the identity an object made by hand gets (the key
`import` writes), else by shape (`match.py`). Objects without the ownership marker are only
noted unless `--adopt` adopts them; undeclared managed objects are archived only with `--prune`.
The account-level kinds go through `objects.py`; both emit the same `Change` values.
"""

from __future__ import annotations

from reconciler.kinds.identity import Identities
from reconciler.model import Catalog, Config, Price, Product
from reconciler.reconcile.changes import Carried, Change, Notice, Unmanaged, field_changes
from reconciler.reconcile.match import Ambiguous, Found, Index, Match, match_price, match_product
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
from reconciler.stripe_catalog.identities import identities
from reconciler.stripe_catalog.live import LiveCatalog, LivePrice, LiveProduct

ADOPT_HINT = "not managed by reconciler; --adopt takes it over"
DUPLICATE_HINT = (
    "so the plan adopts none and creates nothing: give the one to adopt the plan key in its "
    "metadata, or --allow-duplicates creates a new one"
)


def diff(
    desired: Catalog, live: LiveCatalog, options: DiffOptions, config: Config | None = None
) -> Plan:
    """Every change that brings `live` to `desired`; no I/O."""
    cfg = config or Config()
    ids = identities(live)
    out = Collector(
        desired=desired,
        meters=meter_outcomes(desired, live),
        identities=ids,
        renamed=_hand_made_names(live, ids),
    )
    index = Index.of(live, ids)
    for product in desired.products:
        _diff_product(product, live, index, options, cfg, out)
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


def _hand_made_names(live: LiveCatalog, ids: Identities) -> dict[str, str]:
    """Stripe id -> identity key of every product without a plan key and price without a
    lookup key: what the plan files call them."""
    names: dict[str, str] = {}
    for product in live.products:
        found = ids.get("product", product.id)
        if product.key is None and found is not None:
            names[product.id] = found.key
    for price in live.prices:
        found = ids.get("price", price.id)
        if not price.price.lookup_key and found is not None:
            names[price.id] = found.key
    return names


def _found(match: Match, kind: str, key: str, options: DiffOptions, out: Collector) -> str | None:
    """The matched Stripe id; an ambiguous match is noted (nothing adopted or created)."""
    if isinstance(match, Ambiguous):
        if not options.allow_duplicates:
            listed = ", ".join(match.stripe_ids)
            out.notes.append(
                Notice(
                    f"{kind}:{key}",
                    match.stripe_ids[0],
                    f"{len(match.stripe_ids)} unmanaged {kind}s {match.how} ({listed}) "
                    f"could be this one, {DUPLICATE_HINT}",
                )
            )
            out.blocked.add(f"{kind}:{key}")
        return None
    return match.stripe_id if isinstance(match, Found) else None


def _how(match: Match) -> str:
    return match.how if isinstance(match, Found) else ""


def _hint(match: Match) -> str:
    """The note on an unmanaged match without --adopt: what --adopt would do and why."""
    how = _how(match)
    return f"{ADOPT_HINT} (matched because {how})" if how else ADOPT_HINT


def _adoption(managed: bool, how: str) -> str:
    """The reason an adoption shows: what matched and why."""
    if managed:
        return ""
    return f"adopt: matched because {how}" if how else "adopt"


def _diff_product(
    product: Product,
    live: LiveCatalog,
    index: Index,
    options: DiffOptions,
    config: Config,
    out: Collector,
) -> None:
    match = match_product(product, index, out.matched_products)
    found = _found(match, "product", product.key, options, out)
    if f"product:{product.key}" in out.blocked:
        return
    current = live.product_by_id(found) if found else None
    if current is not None:
        out.matched_products.add(current.id)
        if not current.managed and not options.adopt:
            out.notes.append(Unmanaged("product", product.key, current.id, _hint(match)))
            out.matched_prices.update(p.id for p in live.prices_of(current.id))
            return
    for price in product.prices:
        _diff_price(product, price, current, live, index, options, config, out)
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
        return
    # Its prices are matched first: the default is named by the declared price it matched,
    # so adopting a product never moves its default.
    before = live_product_state(current, live, out.identities, out.named)
    fields = field_changes(before, after)
    if fields:
        out.changes.append(
            Change(
                action="update" if current.managed else "adopt",
                kind="product",
                identity=product.key,
                group=product.key,
                group_id=current.id,
                stripe_id=current.id,
                before=before,
                after=after,
                fields=fields,
                reason=_adoption(current.managed, _how(match)),
            )
        )
    # The product's default moves to the declared one or is unset, so any of its prices can
    # be archived.
    for live_price in live.prices_of(current.id):
        if live_price.id not in out.matched_prices:
            undeclared_price(live_price, current, live, options, out)


def _diff_price(
    product: Product,
    price: Price,
    owner: LiveProduct | None,
    live: LiveCatalog,
    index: Index,
    options: DiffOptions,
    config: Config,
    out: Collector,
) -> None:
    after = desired_price_state(price, product.key, config)
    match = match_price(price, after, owner, index, out.matched_prices)
    found = _found(match, "price", price.lookup_key, options, out)
    held = live.price_by_id(found) if found else None
    if held is None:
        if f"price:{price.lookup_key}" in out.blocked:
            return
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
    out.named[held.id] = price.lookup_key
    if not held.managed and not options.adopt:
        out.notes.append(Unmanaged("price", price.lookup_key, held.id, _hint(match)))
        return
    same_product = owner is not None and held.product_id == owner.id
    product_key = product.key if same_product else live_product_key(live, held.product_id)
    before = live_price_state(held, product_key)
    fields = field_changes(before, after)
    # A price on a meter this plan replaces (or an earlier apply did) moves to the new meter.
    follows = follow_reason(price, held, out.meters)
    if not fields and follows is None:
        return
    if held.legacy and (needs_replacement("price", before, after) or follows is not None):
        out.notes.append(
            Notice(
                f"price:{price.lookup_key}",
                held.id,
                "a legacy price is read-only: reconciler never replaces it, so "
                f"{', '.join(f.path for f in fields)} stay as Stripe holds them",
            )
        )
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
    out.changes.append(
        Change(
            action="update" if held.managed else "adopt",
            kind="price",
            identity=price.lookup_key,
            group=product.key,
            group_id=held.product_id,
            stripe_id=held.id,
            before=before,
            after=after,
            fields=fields,
            reason=_adoption(held.managed, _how(match)),
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
