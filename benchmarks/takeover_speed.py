"""What taking over a large hand-made account costs: `reconciler import`, then
`reconciler apply --adopt` on the files it wrote, measured on the emulator.

Run: .venv/bin/python benchmarks/takeover_speed.py [--products 300] [--prices-per-product 3]
     [--repeat 3]

The account is made through the SDK as a team would in the Dashboard: --products products,
each with --prices-per-product monthly prices, none with metadata or a lookup key, and one
Entitlements feature attached to every product by hand.

Figures printed:
  * API requests of one import (counted by the emulator), per endpoint, against the bound:
    one list per kind, ceil(n / 100) pages each (products, active prices, archived prices,
    meters, coupons, promotion codes, portal configurations, features active and archived),
    plus one list per product for its attached features (Stripe lists them per product only);
  * the least time those requests take under Stripe's limits (test mode: 25/s for the whole
    account; live mode: 25/s per endpoint, the busiest endpoint's requests / 25), next to the
    import's wall time on the emulator, where the import paces itself at the test-mode limit
    (`--rate`'s default for a test key);
  * wall time of an import (read, identities, dump, write the files) next to a plain SDK
    listing of the products and prices (auto-paging, the same expansions), median of
    --repeat runs, and their ratio; both in this process against the same emulator;
  * whether a second import wrote byte-identical files;
  * the adoption (`apply --adopt --yes`, paced by the tool's rate limiter at Stripe's test-mode
    limits): its writes per endpoint against the bound (one update per product, one per price,
    one per feature, one record of attached features per product; no create, no archive), its
    wall time next to the least time those writes take under Stripe's limits (test mode: 25/s
    for the whole account; live mode: 25/s per endpoint), and whether `diff` is clean after.
Exits 1 when a request bound is broken, the files differ, or the adoption leaves a diff.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import stripe

sys.path.insert(0, str(Path(__file__).resolve().parent))

from diff_speed import median_seconds

from reconciler.cli import main as cli
from reconciler.emulator import run_in_thread
from reconciler.kinds import PRICE
from reconciler.ratelimit import DEFAULT_RATES, ENDPOINT_RATE
from reconciler.testing import EmulatorControl

KEY = "sk_test_benchmark"


def build(client: stripe.StripeClient, products: int, per_product: int) -> None:
    feature: Any = client.v1.entitlements.features.create(
        params={"name": "Single sign-on", "lookup_key": "single-sign-on"}
    )
    for n in range(products):
        made: Any = client.v1.products.create(params={"name": f"Plan {n:03}"})
        for i in range(per_product):
            params: Any = {
                "product": made.id,
                "currency": "usd",
                "unit_amount": 100 * (n + 1) + i,
                "recurring": {"interval": "month"},
            }
            client.v1.prices.create(params=params)
        attach: Any = {"entitlement_feature": feature.id}
        client.v1.products.features.create(made.id, params=attach)


def import_into(folder: Path) -> None:
    """`reconciler import --out folder --force`, its stderr (progress, summary) kept quiet."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        code = cli(["import", "--out", str(folder), "--force"])
    if code != 0:
        raise SystemExit(f"import exited {code}")


def quiet_cli(args: list[str]) -> int:
    """One CLI command with its output kept quiet; its exit code."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        return cli(args)


def texts(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.glob("*.yaml"))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--prices-per-product", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n_prices = args.products * args.prices_per_product
    work = Path(tempfile.mkdtemp(prefix="takeover-speed-"))
    with run_in_thread() as running:
        control = EmulatorControl(running.url)
        client = stripe.StripeClient(
            KEY, base_addresses={"api": running.url}, max_network_retries=0
        )
        build(client, args.products, args.prices_per_product)
        os.environ["STRIPE_API_KEY"] = KEY
        os.environ["STRIPE_API_BASE"] = running.url

        control.reset_counters()
        import_into(work / "first")
        counters = control.counters()
        requests = int(counters["total"])
        by_route: dict[str, int] = dict(sorted(counters["by_route"].items()))
        lists = (args.products, n_prices, 0, 0, 0, 0, 0, 1, 0)
        bound = sum(max(1, math.ceil(n / 100)) for n in lists) + args.products
        busiest = max(by_route.values())
        paced_seconds = busiest / ENDPOINT_RATE

        import_into(work / "second")
        identical = texts(work / "first") == texts(work / "second")

        def plain_listing() -> None:
            list(client.v1.products.list(params={"limit": 100}).auto_paging_iter())
            for active in (True, False):
                params: Any = {"limit": 100, "active": active, "expand": PRICE.expand()}
                list(client.v1.prices.list(params=params).auto_paging_iter())

        import_time = median_seconds(lambda: import_into(work / "timed"), args.repeat)
        list_time = median_seconds(plain_listing, args.repeat)

        control.reset_counters()
        start = time.perf_counter()
        adopted = quiet_cli(["apply", str(work / "first"), "--adopt", "--yes"])
        adopt_time = time.perf_counter() - start
        adopt_routes = {
            r: n for r, n in control.counters()["by_route"].items() if not r.startswith("GET ")
        }
        clean = quiet_cli(["diff", str(work / "first")]) == 0

    print(
        f"account: {args.products} hand-made products, {n_prices} prices without lookup keys, "
        "1 feature attached to every product (emulator in a thread)"
    )
    print(f"import API requests: {requests} (bound {bound})")
    for route, count in by_route.items():
        print(f"  {route}: {count}")
    read_bound = requests / DEFAULT_RATES["test"]
    print(
        f"at Stripe's limits these reads take at least {read_bound:.1f} s in test mode "
        f"(25/s per account), {paced_seconds:.1f} s in live mode ({busiest} on the busiest "
        "endpoint at 25/s)"
    )
    print(f"import wall time (median of {args.repeat}): {import_time * 1000:.0f} ms")
    print(f"plain SDK listing of products and prices: {list_time * 1000:.0f} ms")
    print(f"ratio import / listing: {import_time / list_time:.2f}")
    print(f"ratio import (paced for test mode) / test-mode bound: {import_time / read_bound:.2f}")
    print(f"second import byte-identical: {'yes' if identical else 'NO'}")
    writes = sum(adopt_routes.values())
    adopt_bound = 2 * args.products + n_prices + 1
    creates = sum(n for r, n in adopt_routes.items() if r.count("/") == 2)
    print(f"apply --adopt exit code: {adopted}; write requests: {writes} (bound {adopt_bound})")
    for route, count in sorted(adopt_routes.items()):
        print(f"  {route}: {count}")
    test_bound = writes / DEFAULT_RATES["test"]
    live_bound = max(adopt_routes.values(), default=0) / ENDPOINT_RATE
    print(
        f"at Stripe's limits these writes take at least {test_bound:.1f} s in test mode "
        f"(25/s per account), {live_bound:.1f} s in live mode (25/s per endpoint)"
    )
    print(f"apply --adopt wall time, paced for test mode: {adopt_time:.1f} s")
    print(f"ratio apply --adopt / test-mode bound: {adopt_time / test_bound:.2f}")
    print(f"creates: {creates}; diff clean after adoption: {'yes' if clean else 'NO'}")
    adopt_ok = adopted == 0 and writes <= adopt_bound and creates == 0 and clean
    return 0 if requests <= bound and identical and adopt_ok else 1


if __name__ == "__main__":
    sys.exit(main())
