"""Archived prices on Stripe, which lists only active prices unless asked for `active=false`
(docs.stripe.com/api/prices/list): the tool reads them explicitly, so subscribers left on a
replaced price keep their plan and a price declared inactive converges."""

from __future__ import annotations

from pathlib import Path

import stripe

from reconciler.model import Catalog, Plans
from reconciler.runtime.store import Store
from reconciler.testing import EmulatorControl
from tests.reconcile.conftest import Run
from tests.reconcile.helpers import CONFIG, every_price, price, product, write_plans
from tests.reconcile.test_subscribers_and_import import only_price, subscribe
from tests.runtime.conftest import make_billing


def test_subscribers_left_on_a_replaced_price_keep_plan_and_limits(
    run: Run,
    emulator: EmulatorControl,
    stripe_client: stripe.StripeClient,
    redis_store: Store,
    plans_dir: Path,
) -> None:
    first = product("pro", price("pro_monthly", 4900, limits={"seats": 5}))
    write_plans(plans_dir, Catalog((first,)))
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    old = only_price(stripe_client, "pro_monthly")
    sub = subscribe(stripe_client, old.id)
    second = product("pro", price("pro_monthly", 5900, limits={"seats": 5}))
    write_plans(plans_dir, Catalog((second,)))
    code, _, err = run("apply", str(plans_dir), "--yes")  # no --migrate-subscribers
    assert code == 0, err
    assert stripe_client.v1.prices.retrieve(old.id).active is False

    billing = make_billing(emulator, Plans(Catalog((second,)), CONFIG), redis_store)
    redis_store.set_customer("org_1", str(sub.customer))
    billing.sync(str(sub.customer))
    assert billing.entitlements("org_1") == {
        "status": "active",
        "plan": "pro",
        "limits": {"seats": 5},
        "features": {"Support": False},
    }
    assert billing.limit("org_1", "seats") == 5


def test_a_price_declared_inactive_converges(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    catalog = Catalog(
        (product("pro", price("pro_monthly"), price("pro_legacy", 900, active=False)),)
    )
    write_plans(plans_dir, catalog)
    code, _, err = run("apply", str(plans_dir), "--yes")
    assert code == 0, err
    (legacy,) = every_price(stripe_client, lookup_keys=["pro_legacy"])
    assert legacy.active is False
    code, out, _ = run("diff", str(plans_dir))
    assert (code, out.splitlines()[0]) == (0, "No changes: Stripe matches the plan files.")
    code, _, err = run("apply", str(plans_dir), "--yes")
    assert code == 0, err
    assert [p.id for p in every_price(stripe_client, lookup_keys=["pro_legacy"])] == [legacy.id]
