"""diff and apply against the emulator over HTTP: the loop, replacement, ownership, failures."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import stripe

from reconciler.model import Catalog
from reconciler.testing import EmulatorControl
from tests.reconcile.conftest import Run
from tests.reconcile.helpers import (
    every_price,
    hand_made,
    price,
    product,
    write_plans,
    writes,
)

EXAMPLE = Path(__file__).parents[2] / "plans"


def prices_with_key(client: stripe.StripeClient, lookup_key: str) -> list[Any]:
    return every_price(client, lookup_keys=[lookup_key])


def all_prices(client: stripe.StripeClient) -> list[Any]:
    return every_price(client)


def test_the_whole_loop_on_the_example_plans(
    run: Run, emulator: EmulatorControl, tmp_path: Path
) -> None:
    folder = shutil.copytree(EXAMPLE, tmp_path / "plans")
    code, out, _ = run("diff", str(folder))
    assert code == 2
    assert out.splitlines()[-3] == "Plan: 16 to create, 0 to update, 0 to replace, 0 to archive."
    code, out, err = run("apply", str(folder))
    assert code == 2
    assert err.splitlines()[-1] == "Changes pending; run again with --yes to apply them."
    assert writes(emulator) == 0
    fingerprint = out.splitlines()[-1].removeprefix("Fingerprint: ")
    code, _, err = run("apply", str(folder), "--yes", "--fingerprint", fingerprint)
    assert code == 0, err
    assert err.splitlines()[-1] == "Applied 16 change(s) with 19 write(s)."
    emulator.reset_counters()
    # A rerun with the reviewed fingerprint computes an empty plan, which is not the reviewed
    # one: refused (exit 1) like any other plan, and nothing is written.
    code, out, err = run("apply", str(folder), "--yes", "--fingerprint", fingerprint)
    assert (code, out.splitlines()[0]) == (1, "No changes: Stripe matches the plan files.")
    empty = json.loads(run("diff", str(folder), "--format", "json")[1])["fingerprint"]
    assert err.splitlines()[-1] == (
        f"error: the plan for {folder} has fingerprint {empty} ({folder} is in sync: nothing "
        f"to apply), not the reviewed {fingerprint}: Stripe or the plan files changed since "
        f"the review, or {folder} is not the folder that was diffed; run diff again"
    )
    assert writes(emulator) == 0
    code, out, _ = run("diff", str(folder), "--format", "json")
    assert code == 0
    assert json.loads(out)["in_sync"] is True


def test_other_fingerprint_is_refused(run: Run, emulator: EmulatorControl, plans_dir: Path) -> None:
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly")),)))
    code, _, err = run("apply", str(plans_dir), "--yes", "--fingerprint", "0" * 64)
    assert code == 1
    assert "not the reviewed " + "0" * 64 in err
    assert writes(emulator) == 0


def test_markdown_hint_names_the_diffed_folder_and_applies_exactly_that_plan(
    run: Run, emulator: EmulatorControl, plans_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The case: the reviewed folder is not plans/, and plans/ is already in sync.
    monkeypatch.chdir(plans_dir.parent)
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly")),)))
    assert run("apply", "plans", "--yes")[0] == 0
    reviewed = plans_dir.parent / "my plans"
    write_plans(reviewed, Catalog((product("team", price("team_monthly")),)))
    code, out, _ = run("diff", "my plans", "--format", "markdown")
    assert code == 2
    hint = out.splitlines()[-1]
    fingerprint = json.loads(run("diff", "my plans", "--format", "json")[1])["fingerprint"]
    assert hint == (
        "Apply exactly this plan with "
        f"`reconciler apply 'my plans' --yes --fingerprint {fingerprint}`."
    )
    emulator.reset_counters()
    code, _, err = run("apply", "plans", "--yes", "--fingerprint", fingerprint)
    assert code == 1 and "(plans is in sync: nothing to apply)" in err
    assert writes(emulator) == 0
    code, _, err = run(*shlex.split(hint.split("`")[1])[1:])
    assert (code, err.splitlines()[-1]) == (0, "Applied 2 change(s) with 3 write(s).")


def test_replacement_keeps_one_active_price_per_lookup_key_and_moves_the_default(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly", 4900)),)))
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    (old,) = prices_with_key(stripe_client, "pro_monthly")
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly", 5900)),)))
    code, out, _ = run("diff", str(plans_dir))
    assert code == 2
    assert "-/+ price pro_monthly (" + old.id + ")" in out
    assert "    # the product's default price moves to the new price" in out
    assert "    # 0 subscription(s) stay on the old price (--migrate-subscribers moves them)" in out
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    (new,) = prices_with_key(stripe_client, "pro_monthly")
    assert (new.id != old.id, new.active, new.unit_amount) == (True, True, 5900)
    archived = stripe_client.v1.prices.retrieve(old.id)
    assert (archived.active, archived.lookup_key) == (False, None)
    assert stripe_client.v1.products.retrieve(new.product).default_price == new.id
    assert run("diff", str(plans_dir))[0] == 0


def test_every_update_kind_then_prune(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    pro = product("pro", price("pro_monthly"), price("pro_yearly", 9000, metadata={"a": "1"}))
    old = product("old", price("old_monthly"))
    write_plans(plans_dir, Catalog((old, pro)))
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    renamed = product(
        "pro",
        price("pro_monthly", nickname="Monthly", limits={"seats": 3}),
        name="Pro 2",
        default_price="pro_monthly",
    )
    write_plans(plans_dir, Catalog((renamed,)))
    code, out, _ = run("diff", str(plans_dir), "--prune")
    assert code == 2
    assert out.splitlines()[-3] == "Plan: 0 to create, 2 to update, 0 to replace, 3 to archive."
    # The removed product's default price is archived too: apply unsets the default first.
    assert '    default_price: "old_monthly" -> (none)' in out
    code, out, err = run("apply", str(plans_dir), "--prune", "--yes")
    assert code == 0, err
    assert run("diff", str(plans_dir), "--prune")[0] == 0
    (monthly,) = prices_with_key(stripe_client, "pro_monthly")
    assert (monthly.nickname, monthly.metadata["limits:seats"]) == ("Monthly", "3")
    (yearly,) = prices_with_key(stripe_client, "pro_yearly")
    assert yearly.active is False
    (old_monthly,) = prices_with_key(stripe_client, "old_monthly")
    assert old_monthly.active is False
    products = {p.metadata["plan-key"]: p for p in stripe_client.v1.products.list().data}
    assert (products["pro"].name, products["old"].active) == ("Pro 2", False)
    assert products["old"].default_price is None


def test_a_plan_may_drop_a_products_default_price(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly", 4900)),)))
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    # No default declared, and a new amount: the default is unset, the old price archived.
    dropped = product("pro", price("pro_monthly", 5900), default_price=None)
    write_plans(plans_dir, Catalog((dropped,)))
    code, out, _ = run("diff", str(plans_dir))
    assert code == 2
    assert '    default_price: "pro_monthly" -> (none)' in out
    code, _, err = run("apply", str(plans_dir), "--yes")
    assert code == 0, err
    assert run("diff", str(plans_dir))[0] == 0
    (held,) = [p for p in prices_with_key(stripe_client, "pro_monthly")]
    assert (held.unit_amount, held.active) == (5900, True)
    assert [p.active for p in all_prices(stripe_client)] == [True, False]
    (pro,) = stripe_client.v1.products.list().data
    assert pro.default_price is None


def test_metadata_removed_from_the_plan_is_deleted_in_stripe(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly", metadata={"x": "1"})),)))
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly", limits={})),)))
    code, out, _ = run("diff", str(plans_dir))
    assert code == 2
    assert '    metadata.x: "1" -> (none)' in out
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    (live,) = prices_with_key(stripe_client, "pro_monthly")
    assert sorted(live.metadata.to_dict()) == ["features:Support", "managed-by"]


def test_partial_failure_reports_then_a_rerun_converges_without_duplicates(
    run: Run, emulator: EmulatorControl, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    catalog = Catalog(tuple(product(k, price(f"{k}_monthly"), price(f"{k}_yearly")) for k in "abc"))
    write_plans(plans_dir, catalog)
    # The third price creation is refused (a 4xx, which no retry takes back).
    emulator.faults(
        fail_requests=[
            {"method": "POST", "path_prefix": "/v1/prices", "after": 2, "count": 1, "status": 400}
        ]
    )
    code, _, err = run("apply", str(plans_dir), "--yes")
    assert code == 1
    lines = err.splitlines()
    assert lines[-5].startswith(
        "error: create price price:b_monthly failed: creating price b_monthly: "
        "Injected failure with status 400. (request id req_"
    )
    assert lines[-4] == "applied (2): price:a_monthly, price:a_yearly"
    assert lines[-3] == "partly applied (3): product:a, product:b, product:c"
    assert lines[-2] == (
        "not applied (4): price:b_monthly, price:b_yearly, price:c_monthly, price:c_yearly"
    )
    assert lines[-1] == "Run apply again: it diffs Stripe afresh and converges."
    emulator.clear_faults()
    code, out, _ = run("apply", str(plans_dir), "--yes")
    assert code == 0
    assert "Plan: 4 to create, 3 to update, 0 to replace, 0 to archive." in out
    assert run("diff", str(plans_dir))[0] == 0
    keys = sorted(p.lookup_key for p in all_prices(stripe_client))
    assert keys == sorted(f"{k}_{i}" for k in "abc" for i in ("monthly", "yearly"))


def test_unmanaged_objects_are_untouched_until_adopted(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    legacy = hand_made(stripe_client, "Legacy", "legacy_monthly", 500)
    dashboard = stripe_client.v1.products.create(params={"name": "Dashboard"})
    mine = product("mine", price("legacy_monthly", 500))
    write_plans(plans_dir, Catalog((mine,)))
    code, out, _ = run("apply", str(plans_dir), "--prune", "--yes")
    assert code == 0
    assert f"! unmanaged product mine ({legacy.id}): " in out
    assert f"! unmanaged product ({dashboard.id}): not managed by reconciler (0 active" in out
    assert stripe_client.v1.products.retrieve(legacy.id).metadata.to_dict() == {}
    assert stripe_client.v1.products.retrieve(dashboard.id).active is True
    code, out, _ = run("apply", str(plans_dir), "--adopt", "--yes")
    assert code == 0
    adopted = stripe_client.v1.products.retrieve(legacy.id)
    assert adopted.metadata.to_dict() == {"managed-by": "reconciler", "plan-key": "mine"}
    assert run("diff", str(plans_dir))[0] == 0


def test_safety_rail_refuses_mass_replacement_unless_forced(
    run: Run, emulator: EmulatorControl, plans_dir: Path
) -> None:
    prices = [price(f"p{i:02}", 100 + i) for i in range(10)]
    write_plans(plans_dir, Catalog((product("big", *prices),)))
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    changed = [price(f"p{i:02}", 200 + i) if i < 4 else prices[i] for i in range(10)]
    write_plans(plans_dir, Catalog((product("big", *changed),)))
    emulator.reset_counters()
    code, _, err = run("apply", str(plans_dir), "--yes")
    assert code == 1
    assert err.splitlines()[-1] == (
        "error: refusing to apply: this plan archives or replaces 4 of 10 managed prices "
        "(40%, more than 30%); review it and use --force"
    )
    assert writes(emulator) == 0
    assert run("apply", str(plans_dir), "--yes", "--force")[0] == 0
    assert run("diff", str(plans_dir))[0] == 0


def test_invalid_plans_exit_1_with_located_diagnostics(run: Run, plans_dir: Path) -> None:
    plans_dir.mkdir()
    (plans_dir / "bad.yaml").write_text("product: {key: Bad}\n", encoding="utf-8")
    code, out, err = run("diff", str(plans_dir))
    assert (code, out) == (1, "")
    assert err.startswith(f"{plans_dir / 'bad.yaml'}:1:")


def test_replacement_interrupted_before_the_old_price_is_archived_converges(
    run: Run, emulator: EmulatorControl, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly", 4900)),)))
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    (old,) = prices_with_key(stripe_client, "pro_monthly")
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly", 5900)),)))
    # The replacement price is created, then moving the product's default fails.
    emulator.faults(
        fail_requests=[
            {
                "method": "POST",
                "path_prefix": "/v1/products/",
                "after": 0,
                "count": 1,
                "status": 400,
            }
        ]
    )
    assert run("apply", str(plans_dir), "--yes")[0] == 1
    emulator.clear_faults()
    assert run("apply", str(plans_dir), "--yes")[0] == 0
    (new,) = prices_with_key(stripe_client, "pro_monthly")
    assert (new.id != old.id, new.unit_amount) == (True, 5900)
    active = [p.id for p in all_prices(stripe_client) if p.active]
    assert active == [new.id]
    assert stripe_client.v1.products.retrieve(new.product).default_price == new.id
    assert run("diff", str(plans_dir))[0] == 0


def test_apply_rides_out_a_429_storm_without_duplicates(
    run: Run, emulator: EmulatorControl, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    folder = shutil.copytree(EXAMPLE, tmp_path / "plans")
    # Far below what apply asks for: most first attempts are refused with 429.
    emulator.faults(rate_limit=4)
    code, _, err = run("apply", str(folder), "--yes")
    refused = emulator.counters()["rate_limited"]
    emulator.clear_faults()
    assert code == 0, err
    assert err.splitlines()[-1] == "Applied 16 change(s) with 19 write(s)."
    assert refused > 0
    assert run("diff", str(folder))[0] == 0
    keys = sorted(p.lookup_key for p in all_prices(stripe_client))
    assert keys == [
        "free_monthly",
        "pro_monthly",
        "pro_monthly_eur",
        "pro_seats_monthly",
        "pro_yearly",
        "standard_api_calls",
        "standard_monthly",
        "standard_top_up",
        "standard_yearly",
    ]


def test_apply_retries_server_errors_with_the_same_idempotency_key(
    run: Run, emulator: EmulatorControl, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    write_plans(plans_dir, Catalog((product("pro", price("pro_monthly"), price("pro_yearly")),)))
    emulator.faults(
        fail_requests=[
            {"method": "POST", "path_prefix": "/v1/prices", "after": 0, "count": 2, "status": 500}
        ]
    )
    code, _, err = run("apply", str(plans_dir), "--yes")
    assert code == 0, err
    assert emulator.counters()["errors_injected"] == 2
    assert sorted(p.lookup_key for p in all_prices(stripe_client)) == ["pro_monthly", "pro_yearly"]
