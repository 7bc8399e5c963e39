"""Property: for generated plan pairs (A, B), applying A then B leaves a diff of B empty, and
every lookup key B declares is held by exactly one price, which is active."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.kinds.values import new_price, new_product
from reconciler.model import Catalog, Plans, Price, Recurring
from reconciler.reconcile.apply import apply_plan
from reconciler.reconcile.plan import DiffOptions
from reconciler.reconcile.session import make_plan
from reconciler.testing import EmulatorControl
from tests.reconcile.helpers import CONFIG, every_price

OPTIONS = DiffOptions(prune=True)
KEYS = ("k1", "k2", "k3", "k4", "k5")


@st.composite
def catalogs(draw: st.DrawFn) -> Catalog:
    lookup_keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=4, unique=True))
    product_keys = draw(
        st.lists(st.sampled_from(("a", "b", "c")), min_size=1, max_size=3, unique=True)
    )
    owners: dict[str, list[Price]] = {k: [] for k in product_keys}
    for lookup_key in lookup_keys:
        owner = draw(st.sampled_from(product_keys))
        owners[owner].append(
            new_price(
                lookup_key=lookup_key,
                currency="usd",
                unit_amount=Decimal(draw(st.sampled_from((0, 500, 900)))),
                recurring=Recurring(draw(st.sampled_from(("month", "year")))),
                nickname=draw(st.sampled_from((None, "Nick"))),
                tax_behavior=draw(st.sampled_from(("unspecified", "exclusive"))),
                limits={"seats": draw(st.integers(1, 3))},
                features={"Support": draw(st.booleans())},
            )
        )
    products = []
    for key, prices in owners.items():
        ordered = tuple(sorted(prices, key=lambda p: p.lookup_key))
        default = draw(st.sampled_from(ordered)).lookup_key if ordered else None
        products.append(
            new_product(
                key=key,
                name=draw(st.sampled_from(("One", "Two"))),
                prices=ordered,
                default_price=default,
            )
        )
    return Catalog(tuple(products))


def converge(client: stripe.StripeClient, catalog: Catalog) -> None:
    planned = make_plan(Plans(catalog, CONFIG), client, OPTIONS)
    apply_plan(planned.plan, planned.live, client, progress=lambda _: None)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=catalogs(), second=catalogs())
def test_apply_a_then_b_leaves_b_in_sync(
    emulator: EmulatorControl, stripe_client: stripe.StripeClient, first: Catalog, second: Catalog
) -> None:
    emulator.reset()
    converge(stripe_client, first)
    converge(stripe_client, second)
    again = make_plan(Plans(second, CONFIG), stripe_client, OPTIONS).plan
    assert again.changes == ()
    listed = every_price(stripe_client)
    held = Counter(p.lookup_key for p in listed if p.lookup_key)
    declared = {price.lookup_key for _, price in second.prices()}
    assert {k: held[k] for k in declared} == dict.fromkeys(declared, 1)
    assert all(p.active for p in listed if p.lookup_key in declared)
