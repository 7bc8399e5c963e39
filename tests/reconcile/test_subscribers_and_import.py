"""Entitlement impact and subscriber migration with real subscriptions on the emulator, and
the import round trip."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import stripe

from reconciler.model import Catalog
from reconciler.plans import load_plans
from reconciler.testing import EmulatorControl
from tests.reconcile.conftest import Run
from tests.reconcile.helpers import every_price, hand_made, price, product, write_plans, writes
from tests.runtime.test_add_ons import FILES as ADD_ON_FILES

EXAMPLE = Path(__file__).parents[2] / "plans"


def subscribe(client: stripe.StripeClient, price_id: str) -> stripe.Subscription:
    customer = client.v1.customers.create(
        params={
            "email": "impact@example.com",
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price_id}]}
    )


def only_price(client: stripe.StripeClient, lookup_key: str) -> stripe.Price:
    (found,) = client.v1.prices.list(params={"lookup_keys": [lookup_key]}).data
    return found


def test_limit_change_reports_what_subscribers_gain_and_lose(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    first = price("pro_monthly", limits={"seats": 5}, features={"Support": True})
    write_plans(plans_dir, Catalog((product("pro", first),)))
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    current = only_price(stripe_client, "pro_monthly")
    subscribe(stripe_client, current.id)
    subscribe(stripe_client, current.id)
    second = price("pro_monthly", limits={"seats": 10}, features={"Support": False})
    write_plans(plans_dir, Catalog((product("pro", second),)))
    code, out, _ = run("diff", str(plans_dir), "--format", "json")
    assert code == 2
    (change,) = json.loads(out)["changes"]
    assert change["impact"] == {
        "subscriptions": 2,
        "gained": ["limit seats: 5 -> 10"],
        "lost": ["feature Support: true -> false"],
        "changed": [],
    }


def test_replacement_with_migration_moves_subscribers_to_the_new_price(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly", 4900)),)))
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    old = only_price(stripe_client, "pro_monthly")
    sub = subscribe(stripe_client, old.id)
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly", 5900)),)))
    code, out, _ = run("diff", str(plans_dir))
    assert "    # 1 subscription(s) stay on the old price (--migrate-subscribers moves them)" in out
    code, out, err = run("apply", str(plans_dir), "--migrate-subscribers", "--yes")
    assert code == 0, err
    assert "    # subscribers move to the new price (create_prorations)" in out
    new = only_price(stripe_client, "pro_monthly")
    moved = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert [item.price.id for item in moved["items"].data] == [new.id]
    assert new.id != old.id
    assert run("diff", str(plans_dir))[0] == 0


def test_a_migration_across_currencies_is_refused_up_front(
    run: Run, emulator: EmulatorControl, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly", 4900)),)))
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    old = only_price(stripe_client, "pro_monthly")
    subscribe(stripe_client, old.id)
    subscribe(stripe_client, old.id)
    euros = product("pro", price("pro_monthly", 4500, currency="eur"))
    write_plans(plans_dir, Catalog((euros,)))
    refusal = (
        "error: --migrate-subscribers refused: Stripe does not change an ongoing "
        "subscription's currency (price pro_monthly: 2 subscription(s) cannot move from usd "
        "to eur); drop --migrate-subscribers to leave them on the old price, or cancel and "
        "re-create those subscriptions in the new currency\n"
    )
    code, out, err = run("diff", str(plans_dir), "--migrate-subscribers")
    assert (code, out) == (1, "")
    assert err.endswith(refusal)
    emulator.reset_counters()
    code, _, err = run("apply", str(plans_dir), "--migrate-subscribers", "--yes")
    assert code == 1 and err.endswith(refusal)
    assert writes(emulator) == 0
    # Without the migration the replacement goes ahead; subscribers stay on the old price.
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    assert only_price(stripe_client, "pro_monthly").currency == "eur"


def test_import_of_a_managed_catalog_is_clean_right_away(run: Run, tmp_path: Path) -> None:
    folder = shutil.copytree(EXAMPLE, tmp_path / "plans")
    code, _, err = run("apply", str(folder), "--yes")
    assert code == 0, err
    out_dir = tmp_path / "imported"
    code, out, _ = run("import", "--out", str(out_dir))
    assert code == 0
    assert out.splitlines() == [
        str(out_dir / name)
        for name in (
            "billing.yaml",
            "free.yaml",
            "pro.yaml",
            "reconciler.yaml",
            "standard.yaml",
            "schemas/config.schema.json",
            "schemas/objects.schema.json",
            "schemas/plan.schema.json",
            "schemas/product.schema.json",
        )
    ]
    loaded = load_plans(out_dir)
    assert loaded.ok, [d.format() for d in loaded.diagnostics]
    original = load_plans(folder).plans
    assert original is not None and loaded.plans is not None
    # Product-level limits may be factored differently; every price's effective values match.
    assert loaded.plans.catalog.prices() == tuple(
        (next(p for p in loaded.plans.catalog.products if p.key == prod.key), pr)
        for prod, pr in original.catalog.prices()
    )
    assert [(p.key, p.name, p.default_price) for p in loaded.plans.catalog.products] == [
        (p.key, p.name, p.default_price) for p in original.catalog.products
    ]
    assert run("diff", str(out_dir))[0] == 0
    code, _, err = run("import", "--out", str(out_dir))
    assert code == 1
    assert "(use --force)" in err
    assert run("import", "--out", str(out_dir), "--force")[0] == 0


def test_add_ons_and_richer_limits_survive_apply_import_and_diff(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    for name, text in ADD_ON_FILES.items():
        (folder / name).write_text(text)
    code, _, err = run("apply", str(folder), "--yes")
    assert code == 0, err
    out_dir = tmp_path / "imported"
    assert run("import", "--out", str(out_dir))[0] == 0
    assert "add_on: true" in (out_dir / "credit-pack.yaml").read_text()
    loaded, original = load_plans(out_dir).plans, load_plans(folder).plans
    assert loaded is not None and original is not None
    assert loaded.catalog.prices() == tuple(
        (next(p for p in loaded.catalog.products if p.key == prod.key), pr)
        for prod, pr in original.catalog.prices()
    )
    assert [(p.key, p.add_on) for p in loaded.catalog.products] == [
        ("credit-pack", True),
        ("extra-seat", True),
        ("free", False),
        ("team", False),
    ]
    assert run("diff", str(out_dir))[0] == 0


def test_import_force_keeps_what_the_catalog_does_not_define(run: Run, tmp_path: Path) -> None:
    folder = shutil.copytree(EXAMPLE, tmp_path / "plans")
    assert run("apply", str(folder), "--yes")[0] == 0
    config = (folder / "reconciler.yaml").read_text()
    (folder / "pro.yaml").write_text("product: {key: pro, name: Stale}\n")
    # The modeline is the one comment import rewrites: its schemas are in the folder now.
    config = config.replace("$schema=../schemas/", "$schema=schemas/")
    code, _, err = run("import", "--out", str(folder), "--force")
    assert code == 0, err
    # default_plan, urls, default_limits, environments and every comment stay as written.
    assert (folder / "reconciler.yaml").read_text() == config
    assert "name: Pro\n" in (folder / "pro.yaml").read_text()
    code, _, err = run(
        "import",
        "--out",
        str(folder),
        "--force",
        "--limits-prefix",
        "lim:",
        "--features-prefix",
        "feat:",
    )
    assert code == 0, err
    assert (folder / "reconciler.yaml").read_text() == config.replace(
        'metadata_prefixes:\n  limits: "limits:"\n  features: "features:"\n',
        "metadata_prefixes:\n  limits: 'lim:'\n  features: 'feat:'\n",
    )


def _hand_made_with_a_keyless_price(client: stripe.StripeClient) -> Any:
    made = hand_made(
        client, "Hand Made", "hand_monthly", 700, "eur", {"limits:seats": "3"}, {"x": "1"}
    )
    client.v1.prices.create(params={"product": made.id, "currency": "eur", "unit_amount": 100})
    return made


def test_import_of_an_unmanaged_catalog_skips_nothing(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    _hand_made_with_a_keyless_price(stripe_client)
    out_dir = tmp_path / "imported"
    code, _, err = run("import", "--out", str(out_dir))
    assert code == 0, err
    assert "written: product 1, price 2, meter 0," in err
    # The price without a lookup key gets one from its product's key and its terms.
    assert (
        "- lookup_key: hand-made-one-time-eur-100\n  amount: 100\n"
        in (out_dir / "hand-made.yaml").read_text()
    )
    code, out, _ = run("import", "--out", str(out_dir), "--force", "--format", "json")
    assert code == 0
    printed = json.loads(out)
    assert printed["files"] == [
        str(out_dir / name)
        for name in (
            "hand-made.yaml",
            "reconciler.yaml",
            "schemas/config.schema.json",
            "schemas/objects.schema.json",
            "schemas/plan.schema.json",
            "schemas/product.schema.json",
        )
    ]
    assert printed["written"]["price"] == 2
    assert printed["left_out"] == {}


def test_import_of_an_unmanaged_catalog_then_adopt(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    made = _hand_made_with_a_keyless_price(stripe_client)
    out_dir = tmp_path / "imported"
    assert run("import", "--out", str(out_dir))[0] == 0
    code, out, _ = run("diff", str(out_dir))
    assert code == 0
    assert f"! unmanaged product hand-made ({made.id}): not managed by reconciler; " in out
    code, out, _ = run("diff", str(out_dir), "--adopt")
    assert code == 2
    # Adoption is its own action (issue 17), counted per kind.
    assert out.splitlines()[-3] == (
        "Plan: 0 to create, 0 to update, 0 to replace, 0 to archive, 3 to adopt "
        "(1 product, 2 prices)."
    )
    assert run("apply", str(out_dir), "--adopt", "--yes")[0] == 0
    assert run("diff", str(out_dir))[0] == 0
    price_md = only_price(stripe_client, "hand_monthly").metadata.to_dict()
    assert price_md == {"limits:seats": "3", "managed-by": "reconciler"}


def test_import_with_the_accounts_own_prefixes(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    hand_made(
        stripe_client, "Team", "team_monthly", 2000, "usd", {"quota.seats": "5", "flag.sso": "true"}
    )
    out_dir = tmp_path / "imported"
    args = [
        "import",
        "--out",
        str(out_dir),
        "--limits-prefix",
        "quota.",
        "--features-prefix",
        "flag.",
    ]
    assert run(*args)[0] == 0
    loaded = load_plans(out_dir)
    assert loaded.plans is not None, [d.format() for d in loaded.diagnostics]
    (team,) = loaded.plans.catalog.products
    (price,) = team.prices
    assert (dict(price.limits), dict(price.features), dict(price.metadata)) == (
        {"seats": 5},
        {"sso": True},
        {},
    )
    assert (loaded.plans.config.limits_prefix, loaded.plans.config.features_prefix) == (
        "quota.",
        "flag.",
    )
    code, _, err = run(
        "import", "--out", str(tmp_path / "x"), "--limits-prefix", "p", "--features-prefix", "p"
    )
    assert code == 1
    assert "the prefixes must be non-empty and differ" in err


def test_adopting_an_imported_keyless_price_keeps_it(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    _hand_made_with_a_keyless_price(stripe_client)
    before = sorted(p.id for p in every_price(stripe_client))
    out_dir = tmp_path / "imported"
    assert run("import", "--out", str(out_dir))[0] == 0
    assert run("apply", str(out_dir), "--adopt", "--yes")[0] == 0
    after = {p.id: p.lookup_key for p in every_price(stripe_client)}
    assert sorted(after) == before
    assert sorted(after.values()) == ["hand-made-one-time-eur-100", "hand_monthly"]
