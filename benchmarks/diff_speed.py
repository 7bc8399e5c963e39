"""What one `reconciler diff` costs on a large catalog, measured on the emulator.

Run: .venv/bin/python benchmarks/diff_speed.py [--products 100] [--prices-per-product 10]
     [--archived-per-product 2] [--meters 20] [--features 50] [--coupons 50] [--repeat 5]

The catalog also holds --meters billing meters, --coupons coupons with one promotion code
each, and --features boolean features kept as Stripe Entitlements features
(`stripe_entitlements: true`), each product granting one of them.

Figures printed:
  * API requests of one diff (counted by the emulator) against the bound: one list per
    kind, each ceil(n / 100) pages (at least one), plus 1 — products, active prices and
    archived prices (Stripe lists only active prices unless asked for `active=false`);
    --archived-per-product prices per product are declared `active: false` so the third
    list has pages to read; then meters, coupons, promotion codes, features and Billing Portal
    configurations, one list each. The features attached to each product are not read: each
    product's `entitlement-features` marker (written by apply) matches the plan. The requests
    are printed per route, and next to them those of a diff with --verify-attachments, which
    adds one list per product (Stripe lists attachments per product only);
  * writes made by an apply on the catalog already in sync (must be 0);
  * wall time of a diff (read, normalize, diff, render) next to a plain SDK listing of the
    same objects (auto-paging products and prices, the same expansions), median of --repeat runs,
    and their ratio. Both run in this process against the same emulator (in a thread).
Exits 1 when the request bound or the zero-write rule is broken.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import stripe

from reconciler.emulator import run_in_thread
from reconciler.kinds import COUPON, METER, PRICE, PROMOTION_CODE
from reconciler.kinds.values import new_price, new_product
from reconciler.model import AccountObject, Catalog, Config, Plans, Recurring
from reconciler.plans.build import with_objects
from reconciler.reconcile.apply import apply_plan
from reconciler.reconcile.plan import DiffOptions
from reconciler.reconcile.render_text import render_text
from reconciler.reconcile.session import make_plan
from reconciler.testing import EmulatorControl

KEY = "sk_test_benchmark"


def catalog(products: int, per_product: int, archived: int, features: int) -> Catalog:
    made = []
    for n in range(products):
        prices = tuple(
            new_price(
                lookup_key=f"p{n:03}_{i:02}",
                currency="usd",
                unit_amount=Decimal(100 * (i + 1)),
                recurring=Recurring("month" if i % 2 else "year"),
                limits={"seats": i + 1},
                features={"Support": i % 2 == 0, f"Feature {n % features:02}": True},
                active=i < per_product - archived,
            )
            for i in range(per_product)
        )
        made.append(
            new_product(
                key=f"prod{n:03}",
                name=f"Product {n}",
                prices=prices,
                default_price=prices[0].lookup_key,
            )
        )
    return Catalog(tuple(made))


def objects(meters: int, coupons: int) -> tuple[AccountObject, ...]:
    """Meters, coupons and one promotion code per coupon, as an objects file declares them."""
    made = [
        AccountObject(
            "meter",
            f"event_{n:02}",
            METER.from_plan({"event_name": f"event_{n:02}", "display_name": f"Meter {n}"}),
            alias=f"meter_{n:02}",
        )
        for n in range(meters)
    ]
    for n in range(coupons):
        terms = COUPON.from_plan({"percent_off": 5 + n % 50, "duration": "forever"})
        made.append(AccountObject("coupon", f"coupon_{n:02}", terms))
        code = PROMOTION_CODE.from_plan({"code": f"CODE{n:02}", "coupon": f"coupon_{n:02}"})
        made.append(AccountObject("promotion_code", f"CODE{n:02}", code))
    return tuple(made)


def writes(control: EmulatorControl) -> int:
    routes: dict[str, int] = control.counters()["by_route"]
    return sum(n for route, n in routes.items() if not route.startswith("GET "))


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100)
    parser.add_argument("--prices-per-product", type=int, default=10)
    parser.add_argument("--archived-per-product", type=int, default=2)
    parser.add_argument("--meters", type=int, default=20)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--coupons", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    archived = min(args.archived_per_product, args.prices_per_product - 1)
    config = Config(stripe_entitlements=True)
    products = catalog(args.products, args.prices_per_product, archived, args.features)
    desired = Plans(with_objects(products, objects(args.meters, args.coupons), config), config)
    n_prices = args.products * args.prices_per_product
    n_archived = args.products * archived
    options = DiffOptions()
    with run_in_thread() as running:
        control = EmulatorControl(running.url)
        client = stripe.StripeClient(
            KEY, base_addresses={"api": running.url}, max_network_retries=0
        )
        first = make_plan(desired, client, options)
        apply_plan(first.plan, first.live, client, progress=lambda _: None)

        control.reset_counters()
        planned = make_plan(desired, client, options)
        counters = control.counters()
        requests = int(counters["total"])
        by_route = dict(sorted(counters["by_route"].items()))
        features = min(args.features, args.products)
        lists = (
            args.products,
            n_prices - n_archived,
            n_archived,
            args.meters,
            args.coupons,
            args.coupons,
            features,
            0,  # Billing Portal configurations: one list call
        )
        # One list per kind: the products' markers vouch for their attachments.
        bound = sum(max(1, math.ceil(n / 100)) for n in lists) + 1

        control.reset_counters()
        verified = make_plan(desired, client, options, verify=True)
        verify_requests = int(control.counters()["total"])
        verify_bound = bound + args.products

        control.reset_counters()
        apply_plan(planned.plan, planned.live, client, progress=lambda _: None)
        in_sync_writes = writes(control)

        def diff_once() -> None:
            render_text(make_plan(desired, client, options).plan)

        def plain_listing() -> None:
            list(client.v1.products.list(params={"limit": 100}).auto_paging_iter())
            for active in (True, False):
                params: Any = {"limit": 100, "active": active, "expand": PRICE.expand()}
                list(client.v1.prices.list(params=params).auto_paging_iter())

        diff_time = median_seconds(diff_once, args.repeat)
        list_time = median_seconds(plain_listing, args.repeat)

    print(
        f"catalog: {args.products} products, {n_prices} prices of which {n_archived} archived,"
        f" {args.meters} meters, {args.coupons} coupons and promotion codes,"
        f" {features} Entitlements features (emulator in a thread)"
    )
    print(f"diff API requests: {requests} (bound {bound})")
    for route, count in by_route.items():
        print(f"  {route}: {count}")
    print(
        f"diff --verify-attachments API requests: {verify_requests} (bound {verify_bound}),"
        f" changes: {len(verified.plan.changes)}"
    )
    print(f"changes on the synced catalog: {len(planned.plan.changes)}")
    print(f"writes by apply on the synced catalog: {in_sync_writes}")
    print(f"diff wall time (median of {args.repeat}): {diff_time * 1000:.0f} ms")
    print(f"plain SDK listing of the same objects: {list_time * 1000:.0f} ms")
    print(f"ratio diff / listing: {diff_time / list_time:.2f}")
    ok = (
        requests <= bound
        and verify_requests <= verify_bound
        and in_sync_writes == 0
        and not planned.plan.changes
        and not verified.plan.changes
    )
    if not ok:
        print("FAILED: request bound or zero-write rule broken", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
