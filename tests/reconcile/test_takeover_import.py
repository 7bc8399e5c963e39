"""Importing the hand-made account of issue 17: nothing skipped, every object under the key
its identity rules give it, the grandfathered price written inactive with its subscriber
count, files that validate, and a second import that writes the same bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import stripe

from reconciler.emulator import run_in_thread
from reconciler.emulator.persistence import load, save
from reconciler.testing import EmulatorControl
from tests.reconcile.conftest import Run
from tests.reconcile.takeover_account import build_takeover_account

WRITTEN = (
    "written: product 4, price 7, meter 1, coupon 2, promotion_code 1, feature 1, "
    "product_feature 1, portal_configuration 1"
)

PRO = """\
# yaml-language-server: $schema=schemas/product.schema.json
product:
  key: pro
  name: Pro
  description: For teams
prices:
# archived; 1 subscription still pays this price
- lookup_key: pro-monthly-usd-1900
  amount: 1900
  currency: usd
  recurring:
    interval: month
  active: false
- lookup_key: pro-monthly-usd-2900
  amount: 2900
  currency: usd
  recurring:
    interval: month
  default: true
  currency_options:
    eur:
      amount: 2700
    gbp:
      amount: 2500
- lookup_key: pro-yearly-usd-29000
  amount: 29000
  currency: usd
  recurring:
    interval: year
"""

BILLING = """\
# yaml-language-server: $schema=schemas/objects.schema.json
meters:
- key: api_requests
  event_name: api_requests
  display_name: API requests
coupons:
- id: BLACKFRIDAY
  percent_off: 25
- key: welcome-credit
  name: Welcome credit
  amount_off: 500
  currency: usd
promotion_codes:
- code: FRIDAY25
  coupon: BLACKFRIDAY
features:
- lookup_key: single-sign-on
  name: Single sign-on
  products:
  - pro
portal:
  features:
    payment_method_update: false
    cancellation:
      enabled: false
    plan_switching:
      enabled: false
      default_allowed_updates: []
      proration_behavior: none
      products: {}
"""


def _texts(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.glob("*.yaml"))}


def test_the_hand_made_account_imports_with_nothing_skipped(
    run: Run, stripe_client: stripe.StripeClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    account = build_takeover_account(stripe_client, emulator)
    first = tmp_path / "first"
    code, out, err = run("import", "--out", str(first))
    assert code == 0, err
    welcome = account.coupons["welcome"]
    assert err.splitlines()[1:] == [
        "read 4 products",
        "read 6 prices",
        "read 1 archived prices",
        "read 7 account-level objects",
        WRITTEN,
        f"grandfathered: price pro-monthly-usd-1900 ({account.prices['pro_2019']}) of pro: "
        "archived, 1 subscription still pays it",
        f"id not written: coupon welcome-credit ({welcome}): Stripe generates ids of this "
        "shape, so the files do not keep it and another account gets its own; if your team "
        f"chose it, add `id: {welcome}`",
        f"wrote 10 file(s) to {first}",
    ]
    texts = _texts(first)
    assert sorted(texts) == [
        "api.yaml",
        "billing.yaml",
        "donations.yaml",
        "pro.yaml",
        "reconciler.yaml",
        "starter.yaml",
    ]
    assert texts["pro.yaml"] == PRO
    assert texts["billing.yaml"] == BILLING
    assert "- lookup_key: api-monthly-usd-metered-0.5\n" in texts["api.yaml"]
    assert "- lookup_key: donations-one-time-usd-custom\n" in texts["donations.yaml"]
    assert texts["reconciler.yaml"].endswith("stripe_entitlements: true\n")
    code, out, err = run("validate", str(first))
    assert code == 0, out + err
    second = tmp_path / "second"
    assert run("import", "--out", str(second))[0] == 0
    assert _texts(second) == texts


def test_the_summary_in_json_counts_each_kind(
    run: Run, stripe_client: stripe.StripeClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    account = build_takeover_account(stripe_client, emulator)
    stripe_client.v1.prices.update(account.prices["starter_yearly"], params={"active": False})
    code, out, _ = run("import", "--out", str(tmp_path / "plans"), "--format", "json")
    assert code == 0
    welcome = account.coupons["welcome"]
    printed = json.loads(out)
    del printed["files"]
    assert printed == {
        "written": {
            "product": 4,
            "price": 6,
            "meter": 1,
            "coupon": 2,
            "promotion_code": 1,
            "feature": 1,
            "product_feature": 1,
            "portal_configuration": 1,
        },
        "left_out": {"price": 1},
        "grandfathered": [
            f"price pro-monthly-usd-1900 ({account.prices['pro_2019']}) of pro: archived, "
            "1 subscription still pays it"
        ],
        "read_only": [],
        "dropped": [],
        "ids_not_written": [
            f"coupon welcome-credit ({welcome}): Stripe generates ids of this shape, so the "
            f"files do not keep it and another account gets its own; if your team chose it, "
            f"add `id: {welcome}`"
        ],
    }


def test_include_archived_writes_every_archived_price(
    run: Run, stripe_client: stripe.StripeClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    account = build_takeover_account(stripe_client, emulator)
    stripe_client.v1.prices.update(account.prices["starter_yearly"], params={"active": False})
    folder = tmp_path / "plans"
    code, _, err = run("import", "--out", str(folder))
    assert code == 0
    assert (
        "left out, archived or inactive: price 1 (--include-archived writes archived "
        "products, prices and coupons and inactive promotion codes)"
    ) in err.splitlines()
    assert "starter-yearly-usd-9000" not in (folder / "starter.yaml").read_text()
    code, _, err = run("import", "--out", str(folder), "--force", "--include-archived")
    assert code == 0, err
    assert (
        (folder / "starter.yaml")
        .read_text()
        .endswith(
            "- lookup_key: starter-yearly-usd-9000\n"
            "  amount: 9000\n"
            "  currency: usd\n"
            "  recurring:\n"
            "    interval: year\n"
            "  active: false\n"
        )
    )
    assert run("validate", str(folder))[0] == 0


def test_a_value_the_files_cannot_hold_stops_the_import_until_allowed(
    run: Run, stripe_client: stripe.StripeClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    account = build_takeover_account(stripe_client, emulator)
    old: Any = stripe_client.v1.products.create(params={"name": "Old", "active": False})
    params: Any = {
        "id": "OLDPLUSPRO",
        "percent_off": 10,
        "applies_to": {"products": [old.id, account.products["Pro"]]},
    }
    stripe_client.v1.coupons.create(params=params)
    folder = tmp_path / "plans"
    code, _, err = run("import", "--out", str(folder))
    assert code == 1
    assert err.splitlines()[-3:] == [
        "error: the plan files cannot represent 1 value(s) of the account, so nothing was written:",
        f"  coupon OLDPLUSPRO (OLDPLUSPRO): product {old.id!r} is not written",
        "--allow-loss writes the files without them",
    ]
    assert not folder.exists()
    code, _, err = run("import", "--out", str(folder), "--allow-loss")
    assert code == 0, err
    assert f"dropped: coupon OLDPLUSPRO (OLDPLUSPRO): product {old.id!r} is not written" in err
    assert (
        "- id: OLDPLUSPRO\n  percent_off: 10\n  applies_to:\n  - pro\n"
        in (folder / "billing.yaml").read_text()
    )
    assert run("validate", str(folder))[0] == 0


def _legacy_state(path: Path) -> None:
    """An emulator data file holding a price made before the current API model: a metered
    `plan_...` price with `aggregate_usage`, which no API version since basil can create."""
    with run_in_thread() as made:
        client = stripe.StripeClient(
            "sk_test_legacy", base_addresses={"api": made.url}, max_network_retries=0
        )
        product: Any = client.v1.products.create(params={"name": "Legacy"})
        price: Any = client.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 2,
                "recurring": {"interval": "month"},
            }
        )
        save(made.emulator, path)
    document = json.loads(path.read_text())
    prices = document["collections"]["prices"]
    stored = next(p for p in prices if p["id"] == price.id)
    stored.update(
        id="plan_legacy_calls",
        recurring={
            **stored["recurring"],
            "usage_type": "metered",
            "aggregate_usage": "sum",
            "meter": None,
        },
    )
    path.write_text(json.dumps(document))


def test_a_legacy_price_from_the_emulator_data_file_is_imported_read_only(
    monkeypatch: Any, capsys: Any, tmp_path: Path
) -> None:
    from reconciler.cli import main

    state = tmp_path / "state.json"
    _legacy_state(state)
    with run_in_thread() as emulator:
        load(emulator.emulator, state)
        monkeypatch.setenv("STRIPE_API_KEY", "sk_test_legacy")
        monkeypatch.setenv("STRIPE_API_BASE", emulator.url)
        folder = tmp_path / "plans"
        code = main(["import", "--out", str(folder)])
        err = capsys.readouterr().err
        assert code == 0, err
        assert (
            "read-only: price legacy-monthly-usd-metered-2 (plan_legacy_calls): "
            "recurring.aggregate_usage = 'sum' (legacy, kept read-only)"
        ) in err.splitlines()
        assert (
            (folder / "legacy.yaml")
            .read_text()
            .endswith(
                "- lookup_key: legacy-monthly-usd-metered-2\n"
                "  amount: 2\n"
                "  currency: usd\n"
                "  recurring:\n"
                "    interval: month\n"
                "    usage_type: metered\n"
                "  legacy: true\n"
            )
        )
        assert main(["validate", str(folder)]) == 0


def test_keys_written_onto_the_objects_give_the_same_files(
    run: Run, stripe_client: stripe.StripeClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    """What adoption writes (plan keys, lookup keys, the ownership marker) changes no key:
    the files imported after it are the files imported before."""
    account = build_takeover_account(stripe_client, emulator)
    before = tmp_path / "before"
    assert run("import", "--out", str(before))[0] == 0
    marker = {"managed-by": "reconciler"}
    for name, key in (("Starter", "starter"), ("Pro", "pro"), ("API", "api")):
        params: Any = {"metadata": {**marker, "plan-key": key}}
        stripe_client.v1.products.update(account.products[name], params=params)
    keys = {
        "starter_monthly": "starter-monthly-usd-900",
        "starter_yearly": "starter-yearly-usd-9000",
        "pro_2019": "pro-monthly-usd-1900",
        "pro_monthly": "pro-monthly-usd-2900",
        "pro_yearly": "pro-yearly-usd-29000",
        "api_usage": "api-monthly-usd-metered-0.5",
        "donation": "donations-one-time-usd-custom",
    }
    for name, lookup_key in keys.items():
        params = {"lookup_key": lookup_key, "metadata": marker}
        stripe_client.v1.prices.update(account.prices[name], params=params)
    for coupon, key in (("BLACKFRIDAY", "BLACKFRIDAY"), ("welcome", "welcome-credit")):
        params = {"metadata": {**marker, "plan-key": key}}
        stripe_client.v1.coupons.update(account.coupons[coupon], params=params)
    params = {"metadata": marker}
    stripe_client.v1.billing_portal.configurations.update(
        account.portal_configuration, params=params
    )
    after = tmp_path / "after"
    code, _, err = run("import", "--out", str(after))
    assert code == 0, err
    assert _texts(after) == _texts(before)


def test_the_same_account_made_again_with_other_ids_gives_the_same_files(
    run: Run, stripe_client: stripe.StripeClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    """As a test-mode and a live-mode account holding the same objects: every id differs."""
    first = build_takeover_account(stripe_client, emulator)
    assert run("import", "--out", str(tmp_path / "test"))[0] == 0
    emulator.reset()
    second = build_takeover_account(stripe_client, emulator)
    assert set(first.products.values()).isdisjoint(second.products.values())
    assert first.coupons["welcome"] != second.coupons["welcome"]
    assert run("import", "--out", str(tmp_path / "live"))[0] == 0
    assert _texts(tmp_path / "live") == _texts(tmp_path / "test")


def test_import_reads_within_the_rate_it_is_given(
    run: Run, stripe_client: stripe.StripeClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    build_takeover_account(stripe_client, emulator)
    emulator.reset_counters()
    code, _, err = run("import", "--out", str(tmp_path / "plans"), "--rate", "10")
    assert code == 0, err
    counters = emulator.counters()
    # One list each: products, prices, archived prices, meters, coupons, promotion codes,
    # portal configurations; features twice (archived or not); each of the 4 products'
    # attachments; the archived price's subscriptions in each of the 3 paying statuses.
    assert counters["total"] == 16
    # One request every 1/9.5 s (the limiter keeps 5% under the rate): at most 10 in any
    # second, however fast the emulator answers.
    assert counters["max_in_any_second"] <= 10
