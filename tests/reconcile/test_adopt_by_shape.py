"""Plan files written by hand for a product made by hand in the Dashboard (issue 17, item 5):
the diff matches the product by its name, each price by its terms and a coupon by both (or by
the id the files choose for it), proposes adopting them (never a second object), says why, and
reports ambiguity instead of guessing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import stripe

from tests.reconcile.conftest import Run
from tests.reconcile.helpers import every_price

BASIC = """\
product:
  key: basic
  name: Basic
prices:
  - lookup_key: basic_monthly
    amount: 1000
    currency: usd
    recurring: {interval: month}
    default: true
  - lookup_key: basic_yearly
    amount: 10000
    currency: usd
    recurring: {interval: year}
"""


def _dashboard_basic(client: stripe.StripeClient) -> tuple[Any, Any, Any]:
    """ "Basic" as a team makes it in the Dashboard: no metadata, no lookup keys."""
    product = client.v1.products.create(params={"name": "Basic"})
    monthly_params: Any = {
        "product": product.id,
        "currency": "usd",
        "unit_amount": 1000,
        "recurring": {"interval": "month"},
    }
    monthly = client.v1.prices.create(params=monthly_params)
    yearly_params: Any = {**monthly_params, "unit_amount": 10000, "recurring": {"interval": "year"}}
    yearly = client.v1.prices.create(params=yearly_params)
    client.v1.products.update(product.id, params={"default_price": monthly.id})
    return product, monthly, yearly


def _write(folder: Path, basic: str = BASIC) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reconciler.yaml").write_text("{}\n", encoding="utf-8")
    (folder / "basic.yaml").write_text(basic, encoding="utf-8")
    return folder


def test_hand_written_files_adopt_the_hand_made_product_and_prices(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    product, monthly, yearly = _dashboard_basic(stripe_client)
    folder = _write(plans_dir)
    code, out, err = run("diff", str(folder))
    assert code == 0, err  # nothing to create: the objects exist, only --adopt takes them
    assert out.splitlines()[:3] == [
        "No changes: Stripe matches the plan files.",
        "",
        f"! unmanaged product basic ({product.id}): not managed by reconciler; --adopt takes "
        "it over (matched because its name 'Basic' gives key basic)",
    ]
    code, out, err = run("diff", str(folder), "--adopt")
    assert code == 2, err
    lines = out.splitlines()
    assert [line for line in lines if line and line[0] in "+-~<"] == [
        f"<- product basic ({product.id})",
        f"<- price basic_monthly ({monthly.id})",
        f"<- price basic_yearly ({yearly.id})",
    ]
    assert (
        "    # reason: adopt: matched because it is the only unmanaged price of its product "
        "with the same terms"
    ) in lines
    assert lines[-3] == (
        "Plan: 0 to create, 0 to update, 0 to replace, 0 to archive, 3 to adopt "
        "(1 product, 2 prices)."
    )
    code, _, err = run("apply", str(folder), "--adopt", "--yes")
    assert code == 0, err
    assert run("diff", str(folder))[0] == 0
    named = [p for p in stripe_client.v1.products.list(params={"limit": 100}).data]
    assert [(p.id, p.name, p.default_price) for p in named] == [(product.id, "Basic", monthly.id)]
    prices = sorted((p.id, p.lookup_key, p.active) for p in every_price(stripe_client))
    assert prices == sorted(
        [(monthly.id, "basic_monthly", True), (yearly.id, "basic_yearly", True)]
    )


def test_two_lookalikes_are_named_and_neither_adopted_nor_duplicated(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    product, _, _ = _dashboard_basic(stripe_client)
    twin: Any = {"product": product.id, "currency": "usd", "unit_amount": 10000}
    twin["recurring"] = {"interval": "year"}
    second = stripe_client.v1.prices.create(params=twin)
    folder = _write(plans_dir)
    code, out, err = run("diff", str(folder), "--adopt")
    assert code == 2, err
    assert not [line for line in out.splitlines() if line.startswith("+ ")]
    ambiguous = [line for line in out.splitlines() if line.startswith("! price:basic_yearly")]
    assert len(ambiguous) == 1
    assert ambiguous[0].endswith(
        "2 unmanaged prices of the product with the same terms ("
        + ambiguous[0].split("(", 2)[2].split(")")[0]
        + ") could be this one, so the plan adopts none and creates nothing: give the one to "
        "adopt the plan key in its metadata, or --allow-duplicates creates a new one"
    )
    assert second.id in ambiguous[0]
    code, out, _ = run("diff", str(folder), "--adopt", "--allow-duplicates")
    assert "+ price basic_yearly" in out.splitlines()


def test_two_portal_configurations_are_applied_and_then_in_sync(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    folder = _write(plans_dir)
    (folder / "billing.yaml").write_text(
        "portal:\n  headline: Manage your plan\n"
        "portals:\n  - key: partners\n    headline: Partner billing\n",
        encoding="utf-8",
    )
    code, _, err = run("apply", str(folder), "--yes")
    assert code == 0, err
    code, out, err = run("diff", str(folder))
    assert (code, out.splitlines()[0]) == (0, "No changes: Stripe matches the plan files."), err
    listed = stripe_client.v1.billing_portal.configurations.list(params={"limit": 10}).data
    assert sorted(
        ((c.business_profile.headline if c.business_profile else None), c.metadata.to_dict())
        for c in listed
        if c.metadata is not None
    ) == [
        ("Manage your plan", {"managed-by": "reconciler"}),
        ("Partner billing", {"managed-by": "reconciler", "plan-key": "partners"}),
    ]


def _coupons(folder: Path, coupons: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reconciler.yaml").write_text("{}\n", encoding="utf-8")
    (folder / "billing.yaml").write_text(f"coupons:\n{coupons}", encoding="utf-8")
    return folder


def test_a_hand_written_coupon_adopts_the_hand_made_one_of_its_name_and_terms(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    made = stripe_client.v1.coupons.create(
        params={"name": "Launch", "percent_off": 20, "duration": "once"}
    )
    # Same terms under another name, and the same name with other terms: neither fits.
    stripe_client.v1.coupons.create(params={"name": "Partner", "percent_off": 20})
    stripe_client.v1.coupons.create(params={"name": "Launch", "percent_off": 25})
    folder = _coupons(
        plans_dir, "  - {key: launch-promo, name: Launch, percent_off: 20, duration: once}\n"
    )
    code, out, err = run("diff", str(folder))
    assert code == 0, err
    assert out.splitlines()[2] == (
        f"! unmanaged coupon launch-promo ({made.id}): not managed by reconciler; --adopt "
        "takes it over (matched because it is the only unmanaged coupon named 'Launch' with "
        "the same terms)"
    )
    code, _, err = run("apply", str(folder), "--adopt", "--yes")
    assert code == 0, err
    assert run("diff", str(folder))[0] == 0
    coupons = stripe_client.v1.coupons.list(params={"limit": 10}).data
    assert len(coupons) == 3
    adopted = stripe_client.v1.coupons.retrieve(made.id)
    assert adopted.metadata is not None
    assert adopted.metadata.to_dict() == {"managed-by": "reconciler", "plan-key": "launch-promo"}


def test_two_hand_made_coupons_of_one_name_and_terms_are_named_and_neither_adopted(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    older, newer = (
        stripe_client.v1.coupons.create(params={"name": "Launch", "percent_off": 20}).id
        for _ in range(2)
    )
    folder = _coupons(plans_dir, "  - {key: launch-promo, name: Launch, percent_off: 20}\n")
    code, out, err = run("diff", str(folder), "--adopt")
    assert code == 0, err  # nothing to adopt, nothing to create
    notes = [line for line in out.splitlines() if line.startswith("! coupon:launch-promo")]
    assert notes == [
        f"! coupon:launch-promo ({newer}): 2 unmanaged coupons named 'Launch' with the same "
        f"terms ({newer}, {older}) could be this one, so the plan adopts none and creates nothing: "
        "give the one to adopt the plan key in its metadata, or --allow-duplicates creates a "
        "new one"
    ]


def test_a_coupon_id_chosen_in_the_files_finds_the_hand_made_coupon(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    # An id of the shape Stripe generates: import keys it by its name and leaves the id out,
    # and a team that chose it writes it back by hand, under a key of its own.
    stripe_client.v1.coupons.create(
        params={"id": "SUMMER24", "name": "Summer sale", "percent_off": 15}
    )
    folder = _coupons(plans_dir, "  - {key: summer, id: SUMMER24, name: Summer, percent_off: 15}\n")
    code, out, err = run("diff", str(folder), "--adopt")
    assert code == 2, err
    changes = [line for line in out.splitlines() if line and line[0] in "+-~<"]
    assert changes == ["<- coupon summer (SUMMER24)"]
    assert (
        "    # reason: adopt: matched because it has the id SUMMER24 the files choose for it"
        in (out.splitlines())
    )
    code, _, err = run("apply", str(folder), "--adopt", "--yes")
    assert code == 0, err
    assert run("diff", str(folder))[0] == 0
    (coupon,) = stripe_client.v1.coupons.list(params={"limit": 10}).data
    assert coupon.metadata is not None
    assert (coupon.id, coupon.name, coupon.metadata.to_dict()) == (
        "SUMMER24",
        "Summer",
        {"chosen-id": "SUMMER24", "managed-by": "reconciler", "plan-key": "summer"},
    )
    # The adoption recorded that the files chose the id, so an import keeps it.
    imported = plans_dir.parent / "imported"
    code, _, err = run("import", "--out", str(imported))
    assert code == 0, err
    assert "id not written" not in err
    assert (imported / "billing.yaml").read_text(encoding="utf-8") == (
        "# yaml-language-server: $schema=schemas/objects.schema.json\n"
        "coupons:\n"
        "- key: summer\n"
        "  id: SUMMER24\n"
        "  name: Summer\n"
        "  percent_off: 15\n"
    )
    assert run("diff", str(imported))[0] == 0


def test_a_coupon_created_with_a_chosen_id_of_stripes_shape_keeps_it_through_import(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path, tmp_path: Path
) -> None:
    folder = _coupons(
        plans_dir,
        "  - {key: winter, id: WINTER25, name: Winter, percent_off: 10}\n"
        "  - {key: blackfriday, id: BLACKFRIDAY, name: Black Friday, percent_off: 30}\n",
    )
    code, _, err = run("apply", str(folder), "--yes")
    assert code == 0, err
    coupon = stripe_client.v1.coupons.retrieve("WINTER25")
    assert coupon.metadata is not None
    assert coupon.metadata.to_dict() == {
        "chosen-id": "WINTER25",
        "managed-by": "reconciler",
        "plan-key": "winter",
    }
    # An id Stripe never generates is known for chosen without a marker.
    blackfriday = stripe_client.v1.coupons.retrieve("BLACKFRIDAY").metadata
    assert blackfriday is not None
    assert blackfriday.to_dict() == {"managed-by": "reconciler", "plan-key": "blackfriday"}
    code, _, err = run("import", "--out", str(tmp_path / "imported"))
    assert code == 0, err
    text = (tmp_path / "imported" / "billing.yaml").read_text(encoding="utf-8")
    assert "- key: winter\n  id: WINTER25\n" in text
    assert "- key: blackfriday\n  id: BLACKFRIDAY\n" in text


def test_a_coupon_applied_with_its_id_before_the_marker_gets_it_in_one_metadata_update(
    run: Run, stripe_client: stripe.StripeClient, plans_dir: Path
) -> None:
    # Applied by a version that did not record the chosen id: the next plan adds it, once.
    stripe_client.v1.coupons.create(
        params={
            "id": "AUTUMN26",
            "name": "Autumn",
            "percent_off": 5,
            "metadata": {"managed-by": "reconciler", "plan-key": "autumn"},
        }
    )
    folder = _coupons(plans_dir, "  - {key: autumn, id: AUTUMN26, name: Autumn, percent_off: 5}\n")
    code, out, err = run("diff", str(folder))
    assert code == 2, err
    changes = [line for line in out.splitlines() if line and line[0] in "+-~<"]
    assert changes == ["~ coupon autumn (AUTUMN26)"]
    code, _, err = run("apply", str(folder), "--yes")
    assert code == 0, err
    assert run("diff", str(folder))[0] == 0
    metadata = stripe_client.v1.coupons.retrieve("AUTUMN26").metadata
    assert metadata is not None
    assert metadata.to_dict()["chosen-id"] == "AUTUMN26"
