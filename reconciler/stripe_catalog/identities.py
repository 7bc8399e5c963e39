"""Every live object's identity, by the rules each kind declares (`reconciler.kinds.identity`).

Pure: the live catalog in, `Identities` out. The diff and `import` both call `identities`, so
a declared object and the live object it names agree on one key, and the same account always
yields the same keys. Kinds are resolved in dependency order: a price's derived key starts with
its product's key, an attachment's with its product's.
"""

from __future__ import annotations

from reconciler.kinds import KINDS
from reconciler.kinds.identity import Candidate, Identified, Identities
from reconciler.metadata import PRODUCT_KEY_KEY
from reconciler.stripe_catalog.live import LiveCatalog, LiveObject

# Kinds whose objects are read as `LiveObject`s and need no parent, in resolution order.
_STANDALONE = ("meter", "coupon", "promotion_code", "feature", "portal_configuration")


def _candidate(obj: LiveObject, parent: str | None = None) -> Candidate:
    facts = {"id": obj.id, "managed": obj.managed, "is_default": obj.is_default}
    return Candidate(
        stripe_id=obj.id,
        created=obj.created,
        terms=obj.terms,
        metadata=dict(obj.metadata or {}),
        active=obj.active,
        parent=parent,
        facts=facts,
    )


def identities(live: LiveCatalog) -> Identities:
    """(kind, Stripe id) -> key and source, for every product, price, meter, coupon, promotion
    code, Entitlements feature, attachment and portal configuration `live` holds."""
    found: dict[tuple[str, str], Identified] = {}

    def add(kind: str, candidates: list[Candidate]) -> dict[str, Identified]:
        resolved = KINDS[kind].identity.resolve(candidates)
        found.update({(kind, sid): ident for sid, ident in resolved.items()})
        return resolved

    products = add(
        "product",
        [
            Candidate(
                stripe_id=p.id,
                created=p.created,
                terms=p.terms,
                metadata={PRODUCT_KEY_KEY: p.key} if p.key else {},
                active=p.active,
            )
            for p in live.products
        ],
    )

    def product_key(product_id: str | None) -> str | None:
        known = products.get(product_id or "")
        return known.key if known else None

    add(
        "price",
        [
            Candidate(
                stripe_id=p.id,
                created=p.created,
                terms=p.price.terms,
                metadata=dict(p.stripe_metadata),
                active=p.price.active,
                parent=product_key(p.product_id),
            )
            for p in live.prices
        ],
    )
    for kind in _STANDALONE:
        add(kind, [_candidate(o) for o in live.objects_of(kind)])
    attachments = live.objects_of("product_feature")
    add("product_feature", [_candidate(o, product_key(o.owner_id)) for o in attachments])
    return Identities(found)


__all__ = ["identities"]
