"""Hypothesis strategies for valid plan models (shared by the round-trip properties)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from reconciler.kinds.values import new_price, new_product
from reconciler.model import (
    UNLIMITED,
    Catalog,
    FeatureValue,
    LimitValue,
    Price,
    Product,
    Recurring,
    Tier,
)

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).filter(
    lambda s: s[0] != "-"
)
WORDS = st.text(alphabet="abcdefghij KLMNOPQ.,é", min_size=1, max_size=30).filter(
    lambda s: s.strip() == s and s not in ("true", "false")
)
LIMIT: st.SearchStrategy[LimitValue] = st.one_of(st.integers(0, 10**9), st.just(UNLIMITED))
FEATURE: st.SearchStrategy[FeatureValue] = st.one_of(
    st.booleans(), st.integers(-1000, 10**6), WORDS
)
AMOUNT = st.one_of(
    st.integers(0, 99_999_999).map(Decimal),
    st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False).filter(
        lambda d: d != d.to_integral_value()
    ),
)
LIMITS = st.dictionaries(NAMES, LIMIT, max_size=3)
FEATURES = st.dictionaries(WORDS, FEATURE, max_size=3)
RECURRING = st.one_of(
    st.none(),
    st.sampled_from(["day", "week", "month", "year"]).flatmap(
        lambda i: st.builds(
            Recurring,
            st.just(i),
            st.integers(1, {"day": 365, "week": 52, "month": 12, "year": 1}[i]),
        )
    ),
)


@st.composite
def tiers(draw: st.DrawFn) -> tuple[Tier, ...]:
    bounds = sorted(draw(st.sets(st.integers(1, 10_000), max_size=3)))
    caps: list[int | None] = [*bounds, None]
    return tuple(Tier(cap, draw(st.one_of(st.none(), AMOUNT)), draw(AMOUNT)) for cap in caps)


@st.composite
def price(
    draw: st.DrawFn,
    lookup_key: str,
    limits: dict[str, LimitValue],
    features: dict[str, FeatureValue],
) -> Price:
    recurring = draw(RECURRING)
    tiered = draw(st.booleans())
    return new_price(
        lookup_key=lookup_key,
        currency=draw(st.sampled_from(["usd", "eur", "jpy", "gbp"])),
        unit_amount=None if tiered else draw(AMOUNT),
        recurring=recurring,
        nickname=draw(st.one_of(st.none(), WORDS)),
        tax_behavior=draw(st.sampled_from(["inclusive", "exclusive", "unspecified"])),
        trial_days=draw(st.one_of(st.none(), st.integers(1, 730))) if recurring else None,
        tiers_mode=draw(st.sampled_from(["graduated", "volume"])) if tiered else None,
        tiers=draw(tiers()) if tiered else (),
        limits={**limits, **draw(LIMITS)},
        features={**features, **draw(FEATURES)},
        metadata=draw(st.dictionaries(st.sampled_from(["team", "note", "ref"]), WORDS, max_size=2)),
        active=draw(st.booleans()),
    )


@st.composite
def product(draw: st.DrawFn, key: str, lookup_keys: list[str]) -> Product:
    limits = draw(LIMITS)
    features = draw(FEATURES)
    prices = tuple(draw(price(k, limits, features)) for k in sorted(lookup_keys))
    active = [p.lookup_key for p in prices if p.active]
    default = draw(st.one_of(st.none(), st.sampled_from(active))) if active else None
    return new_product(
        key=key,
        name=draw(WORDS),
        description=draw(st.one_of(st.none(), WORDS)),
        active=draw(st.booleans()),
        metadata=draw(st.dictionaries(st.sampled_from(["tier", "group"]), WORDS, max_size=2)),
        prices=prices,
        default_price=default,
        limits=limits,
        features=features,
        proration_behavior=draw(st.sampled_from(["create_prorations", "none", "always_invoice"])),
    )


@st.composite
def catalogs(draw: st.DrawFn, max_products: int = 3) -> Catalog:
    keys = sorted(draw(st.sets(NAMES, min_size=1, max_size=max_products)))
    lookup_keys = draw(st.lists(NAMES, min_size=len(keys) * 2, max_size=len(keys) * 2, unique=True))
    products = []
    for i, key in enumerate(keys):
        mine = lookup_keys[2 * i : 2 * i + draw(st.integers(0, 2))]
        products.append(draw(product(key, [f"{key}_{k}" for k in mine])))
    return Catalog(tuple(products))
