"""What one `reconciler diff` costs on a large catalog, measured on the emulator.

Run: .venv/bin/python benchmarks/diff_speed.py [--products 100] [--prices-per-product 10]
     [--archived-per-product 2] [--repeat 5]

Figures printed:
  * API requests of one diff (counted by the emulator) against the bound: one list per
    kind, each ceil(n / 100) pages (at least one), plus 1 — products, active prices and
    archived prices (Stripe lists only active prices unless asked for `active=false`);
    --archived-per-product prices per product are declared `active: false` so the third
    list has pages to read;
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
from reconciler.kinds import PRICE
from reconciler.kinds.values import new_price, new_product
from reconciler.model import Catalog, Config, Plans, Recurring
from reconciler.reconcile.apply import apply_plan
from reconciler.reconcile.plan import DiffOptions
from reconciler.reconcile.render_text import render_text
from reconciler.reconcile.session import make_plan
from reconciler.testing import EmulatorControl

KEY = "sk_test_benchmark"


def catalog(products: int, per_product: int, archived: int) -> Catalog:
    made = []
    for n in range(products):
        prices = tuple(
            new_price(
                lookup_key=f"p{n:03}_{i:02}",
                currency="usd",
                unit_amount=Decimal(100 * (i + 1)),
                recurring=Recurring("month" if i % 2 else "year"),
                limits={"seats": i + 1},
                features={"Support": i % 2 == 0},
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
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    archived = min(args.archived_per_product, args.prices_per_product - 1)
    desired = Plans(catalog(args.products, args.prices_per_product, archived), Config())
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
        requests = int(control.counters()["total"])
        lists = (args.products, n_prices - n_archived, n_archived)
        bound = sum(max(1, math.ceil(n / 100)) for n in lists) + 1

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
        f"catalog: {args.products} products, {n_prices} prices of which {n_archived} archived"
        " (emulator in a thread)"
    )
    print(f"diff API requests: {requests} (bound {bound})")
    print(f"changes on the synced catalog: {len(planned.plan.changes)}")
    print(f"writes by apply on the synced catalog: {in_sync_writes}")
    print(f"diff wall time (median of {args.repeat}): {diff_time * 1000:.0f} ms")
    print(f"plain SDK listing of the same objects: {list_time * 1000:.0f} ms")
    print(f"ratio diff / listing: {diff_time / list_time:.2f}")
    ok = requests <= bound and in_sync_writes == 0 and not planned.plan.changes
    if not ok:
        print("FAILED: request bound or zero-write rule broken", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
