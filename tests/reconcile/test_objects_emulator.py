"""Account-level objects through diff and apply against the emulator: meters, coupons,
promotion codes and Stripe Entitlements features, with every rule products and prices follow."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import stripe

from reconciler.testing import EmulatorControl
from tests.reconcile.conftest import Run

EXAMPLE = Path(__file__).parents[2] / "plans"


def _plans(tmp_path: Path, billing: str | None = None, entitlements: bool = False) -> Path:
    folder = shutil.copytree(EXAMPLE, tmp_path / "plans", dirs_exist_ok=True)
    if billing is not None:
        (folder / "billing.yaml").write_text(billing)
    config = folder / "reconciler.yaml"
    text = config.read_text()
    if entitlements and "stripe_entitlements" not in text:
        config.write_text(text + "\nstripe_entitlements: true\n")
    return folder


def _apply(run: Run, folder: Path, *flags: str) -> str:
    code, out, err = run("apply", str(folder), "--yes", *flags)
    assert code == 0, err
    return out


def _in_sync(run: Run, folder: Path, *flags: str) -> None:
    code, out, _ = run("diff", str(folder), *flags)
    assert (code, out.splitlines()[0]) == (0, "No changes: Stripe matches the plan files.")


METERS = (
    "meters:\n"
    "  - key: api_calls\n"
    "    event_name: api_request\n"
    "    display_name: {name}\n"
    "    formula: {formula}\n"
)


def test_example_objects_apply_and_converge(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    folder = _plans(tmp_path)
    _apply(run, folder)
    _in_sync(run, folder)
    (meter,) = stripe_client.v1.billing.meters.list().data
    assert (meter.event_name, meter.display_name, meter.default_aggregation.formula) == (
        "api_request",
        "API requests",
        "sum",
    )
    (coupon,) = stripe_client.v1.coupons.list(params={"expand": ["data.applies_to"]}).data
    assert coupon.to_dict()["metadata"] == {"managed-by": "reconciler", "plan-key": "launch"}
    assert (coupon.percent_off, coupon.duration, coupon.duration_in_months) == (20, "repeating", 3)
    products = {p.id: p.metadata["plan-key"] for p in stripe_client.v1.products.list().data}
    assert coupon.applies_to is not None
    assert sorted(products[p] for p in coupon.applies_to.products) == ["pro", "standard"]
    (code,) = stripe_client.v1.promotion_codes.list().data
    assert (code.code, code.promotion.coupon, code.restrictions.first_time_transaction) == (
        "LAUNCH20",
        coupon.id,
        True,
    )


def test_meter_display_name_updates_and_other_fields_replace(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    folder = _plans(tmp_path, METERS.format(name="Calls", formula="sum"))
    _apply(run, folder)
    (first,) = stripe_client.v1.billing.meters.list().data
    _plans(tmp_path, METERS.format(name="API calls", formula="sum"))
    code, out, _ = run("diff", str(folder))
    assert code == 2
    assert out.splitlines()[:2] == [
        f"~ meter api_request ({first.id})",
        '    display_name: "Calls" -> "API calls"',
    ]
    _apply(run, folder)
    assert stripe_client.v1.billing.meters.retrieve(first.id).display_name == "API calls"
    _plans(tmp_path, METERS.format(name="API calls", formula="count"))
    code, out, _ = run("diff", str(folder))
    assert out.splitlines()[:3] == [
        f"-/+ meter api_request ({first.id})",
        '    formula: "sum" -> "count"',
        "    # reason: Stripe cannot change formula on a meter: a new meter takes over event "
        "name api_request; the old one is deactivated",
    ]
    _apply(run, folder)
    _in_sync(run, folder)
    meters = stripe_client.v1.billing.meters.list().data
    assert sorted((m.status, m.default_aggregation.formula) for m in meters) == [
        ("active", "count"),
        ("inactive", "sum"),
    ]


def test_coupon_changes_replace_it_and_its_codes(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    folder = _plans(tmp_path)
    _apply(run, folder)
    (old,) = stripe_client.v1.coupons.list().data
    text = (folder / "billing.yaml").read_text().replace("percent_off: 20", "percent_off: 25")
    (folder / "billing.yaml").write_text(text)
    code, out, _ = run("diff", str(folder), "--format", "json")
    assert code == 2
    changes = {(c["action"], c["key"]) for c in json.loads(out)["changes"]}
    assert changes == {("replace", "coupon:launch"), ("replace", "promotion_code:LAUNCH20")}
    _apply(run, folder)
    _in_sync(run, folder)
    coupons = stripe_client.v1.coupons.list().data
    new = next(c for c in coupons if c.id != old.id)
    assert new.to_dict()["metadata"]["plan-key"] == "launch"
    assert stripe_client.v1.coupons.retrieve(old.id).to_dict()["metadata"] == {}
    codes = stripe_client.v1.promotion_codes.list().data
    assert sorted((c.active, c.promotion.coupon) for c in codes) == [
        (False, old.id),
        (True, new.id),
    ]


def test_undeclared_objects_are_noted_and_pruned_never_deleted(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    folder = _plans(tmp_path)
    _apply(run, folder)
    (folder / "billing.yaml").write_text("meters: []\n")
    code, out, _ = run("diff", str(folder))
    assert code == 0
    notes = [line for line in out.splitlines() if line.startswith("! ")]
    assert [n.split(": ", 1)[1] for n in notes] == [
        "not declared; Stripe cannot archive a coupon and reconciler never deletes",
        "not declared; a meter carries no ownership marker, so reconciler leaves it active",
        "not declared; --prune retires it",
        "not declared; --prune retires it",
    ]
    _apply(run, folder, "--prune")
    (code_object,) = stripe_client.v1.promotion_codes.list().data
    assert code_object.active is False
    (portal,) = stripe_client.v1.billing_portal.configurations.list().data
    assert portal.active is False
    assert len(stripe_client.v1.coupons.list().data) == 1
    assert stripe_client.v1.billing.meters.list().data[0].status == "active"


def test_an_unmanaged_coupon_is_noted_until_adopted(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    stripe_client.v1.coupons.create(
        params={
            "percent_off": 20,
            "duration": "repeating",
            "duration_in_months": 3,
            "metadata": {"plan-key": "launch"},
        }
    )
    folder = _plans(
        tmp_path,
        "coupons:\n  - {key: launch, percent_off: 20, duration: repeating, "
        "duration_in_months: 3}\n",
    )
    code, out, _ = run("diff", str(folder))
    assert "! unmanaged coupon launch" in out
    code, out, _ = run("diff", str(folder), "--adopt")
    assert code == 2
    _apply(run, folder, "--adopt")
    _in_sync(run, folder)


def test_stripe_entitlements_follow_the_boolean_features(
    run: Run, stripe_client: stripe.StripeClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    folder = _plans(tmp_path, entitlements=True)
    _apply(run, folder)
    _in_sync(run, folder)
    features = {f.lookup_key: f for f in stripe_client.v1.entitlements.features.list().data}
    assert sorted(features) == ["Priority Support"]
    products = {p.metadata["plan-key"]: p for p in stripe_client.v1.products.list().data}
    attached = stripe_client.v1.products.features.list(products["pro"].id).data
    assert [a.entitlement_feature.lookup_key for a in attached] == ["Priority Support"]
    customer = stripe_client.v1.customers.create(
        params={
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    price = stripe_client.v1.prices.list(params={"lookup_keys": ["pro_monthly"]}).data[0]
    stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    (entitlement,) = stripe_client.v1.entitlements.active_entitlements.list(
        params={"customer": customer.id}
    ).data
    assert entitlement.lookup_key == "Priority Support"


def test_import_writes_the_objects_back_losslessly(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    folder = _plans(tmp_path, entitlements=True)
    _apply(run, folder)
    out = tmp_path / "imported"
    code, _, err = run("import", "--out", str(out))
    assert code == 0, err
    assert (out / "billing.yaml").read_text() == (
        "# yaml-language-server: $schema=schemas/objects.schema.json\n"
        "meters:\n"
        "- key: api_request\n"
        "  event_name: api_request\n"
        "  display_name: API requests\n"
        "coupons:\n"
        "- key: launch\n"
        "  name: 'Launch: 20% off for 3 months'\n"
        "  percent_off: 20\n"
        "  duration: repeating\n"
        "  duration_in_months: 3\n"
        "  max_redemptions: 500\n"
        "  applies_to:\n"
        "  - pro\n"
        "  - standard\n"
        "promotion_codes:\n"
        "- code: LAUNCH20\n"
        "  coupon: launch\n"
        "  restrictions:\n"
        "    first_time_transaction: true\n"
        "portal:\n"
        "  default_return_url: https://app.example.com/settings/billing\n"
        "  headline: Manage your plan\n"
        "  features:\n"
        "    plan_switching:\n"
        "      products:\n"
        "        free:\n"
        "        - free_monthly\n"
        "        pro:\n"
        "        - pro_monthly\n"
        "        - pro_monthly_eur\n"
        "        - pro_seats_monthly\n"
        "        - pro_yearly\n"
        "        standard:\n"
        "        - standard_api_calls\n"
        "        - standard_monthly\n"
        "        - standard_yearly\n"
    )
    assert "stripe_entitlements: true" in (out / "reconciler.yaml").read_text()
    assert run("validate", str(out))[0] == 0
    _in_sync(run, out)


def test_the_portal_configuration_is_kept_and_used_by_the_runtime(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    from reconciler.runtime.stripe_calls import RuntimeStripe

    folder = _plans(tmp_path)
    assert RuntimeStripe(stripe_client).portal_configuration() is None
    _apply(run, folder)
    _in_sync(run, folder)
    listed = stripe_client.v1.billing_portal.configurations.list(
        params={"expand": ["data.features.subscription_update.products"]}
    )
    (config,) = listed.data
    assert config.to_dict()["metadata"] == {"managed-by": "reconciler"}
    assert (config.default_return_url, config.business_profile.headline) == (
        "https://app.example.com/settings/billing",
        "Manage your plan",
    )
    features = config.features
    assert (features.invoice_history.enabled, features.payment_method_update.enabled) == (
        True,
        True,
    )
    assert (features.subscription_cancel.enabled, features.subscription_cancel.mode) == (
        True,
        "at_period_end",
    )
    products = {p.id: p.metadata["plan-key"] for p in stripe_client.v1.products.list().data}
    all_prices = stripe_client.v1.prices.list(params={"limit": 100}).data
    prices = {p.id: str(p.lookup_key) for p in all_prices}
    switchable = {
        products[entry.product]: sorted(prices[p] for p in entry.prices)
        for entry in features.subscription_update.products or []
    }
    assert switchable == {
        "free": ["free_monthly"],
        "pro": ["pro_monthly", "pro_monthly_eur", "pro_seats_monthly", "pro_yearly"],
        "standard": ["standard_api_calls", "standard_monthly", "standard_yearly"],
    }
    calls = RuntimeStripe(stripe_client)
    assert calls.portal_configuration() == config.id
    customer = stripe_client.v1.customers.create(params={"email": "portal@example.com"})
    assert "/billing_portal/bps_" in calls.create_portal(customer.id, None)
    # Stripe changes a configuration in place.
    billing = folder / "billing.yaml"
    text = billing.read_text().replace("invoice_history: true", "invoice_history: false")
    billing.write_text(text)
    code, out, _ = run("diff", str(folder))
    assert code == 2
    assert out.splitlines()[:2] == [
        f"~ portal_configuration default ({config.id})",
        "    features.invoice_history: true -> false",
    ]


METERED = (
    "\n  - lookup_key: pro_api_calls\n"
    "    amount: 5\n"
    "    currency: usd\n"
    "    recurring: {interval: month, usage_type: metered, meter: api_calls}\n"
)


def test_metered_prices_name_their_meter_by_key(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    folder = _plans(tmp_path)
    pro = folder / "pro.yaml"
    pro.write_text(pro.read_text() + METERED.replace("api_calls}", "nowhere}"))
    code, out, _ = run("validate", str(folder))
    assert code == 1
    assert out.splitlines() == [
        f"{pro}:78:62: prices[4].recurring.meter: no meter has the key 'nowhere' "
        "(declare it under meters:)"
    ]
    pro.write_text(pro.read_text().replace("meter: nowhere}", "meter: api_calls}"))
    _apply(run, folder)
    _in_sync(run, folder)
    (meter,) = stripe_client.v1.billing.meters.list().data
    (price,) = stripe_client.v1.prices.list(params={"lookup_keys": ["pro_api_calls"]}).data
    assert price.recurring is not None
    assert (price.recurring.usage_type, price.recurring.meter) == ("metered", meter.id)
    imported = tmp_path / "imported"
    assert run("import", "--out", str(imported))[0] == 0
    assert "meter: api_request" in (imported / "pro.yaml").read_text()
    assert "- key: api_request\n" in (imported / "billing.yaml").read_text()
    assert run("validate", str(imported))[0] == 0
    _in_sync(run, imported)
