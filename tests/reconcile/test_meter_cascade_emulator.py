"""A replaced meter takes its metered prices with it, against the emulator over HTTP: diff
says so (text, markdown, JSON) with the subscribers of each price, apply moves the prices to
the new meter, and a second diff and apply change nothing. The portal configuration lists
the new price of any replacement in the same apply."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import stripe

from reconciler.testing import EmulatorControl
from tests.reconcile.conftest import Run
from tests.reconcile.helpers import every_price, writes

EXAMPLE = Path(__file__).parents[2] / "plans"
METERED = (
    "\n  - lookup_key: pro_api_calls\n"
    "    amount: 5\n"
    "    currency: usd\n"
    "    recurring: {interval: month, usage_type: metered, meter: api_calls}\n"
)
REASON = "its meter api_request is replaced, and Stripe cannot move a price to another meter"
STAY = (
    "1 subscription(s) stay on the old price and its old meter: usage reported as api_request "
    "reaches only the new meter, so it is no longer billed to them "
    "(--migrate-subscribers moves them)"
)

PORTAL = "it lists price pro_api_calls, which this plan replaces: it is to list the new price"


def _plans(tmp_path: Path) -> Path:
    folder = shutil.copytree(EXAMPLE, tmp_path / "plans")
    pro = folder / "pro.yaml"
    pro.write_text(pro.read_text() + METERED)
    return folder


def _count_formula(folder: Path) -> None:
    billing = folder / "billing.yaml"
    billing.write_text(billing.read_text().replace("formula: sum", "formula: count"))


def _usage_price(client: stripe.StripeClient) -> stripe.Price:
    (found,) = client.v1.prices.list(params={"lookup_keys": ["pro_api_calls"]}).data
    return found


def _subscribe(client: stripe.StripeClient, price_id: str) -> stripe.Subscription:
    customer = client.v1.customers.create(
        params={
            "email": "metered@example.com",
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price_id}]}
    )


def _apply(run: Run, folder: Path, *flags: str) -> str:
    code, out, err = run("apply", str(folder), "--yes", *flags)
    assert code == 0, err
    return out


def _meters(client: stripe.StripeClient) -> dict[str, stripe.billing.Meter]:
    return {m.status: m for m in client.v1.billing.meters.list().data}


def test_a_replaced_meter_moves_its_metered_prices_to_the_new_meter(
    run: Run, emulator: EmulatorControl, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    folder = _plans(tmp_path)
    _apply(run, folder)
    (old_meter,) = stripe_client.v1.billing.meters.list().data
    old_price = _usage_price(stripe_client)
    subscription = _subscribe(stripe_client, old_price.id)
    _count_formula(folder)

    code, out, _ = run("diff", str(folder))
    assert code == 2
    lines = out.splitlines()
    start = lines.index(f"-/+ price pro_api_calls ({old_price.id})")
    assert lines[start : start + 3] == [
        f"-/+ price pro_api_calls ({old_price.id})",
        f"    # {STAY}",
        f"    # reason: {REASON}",
    ]
    meter_at = lines.index(f"-/+ meter api_request ({old_meter.id})")
    assert lines[meter_at + 1] == '    formula: "sum" -> "count"'
    assert "Plan: 0 to create, 1 to update, 2 to replace, 0 to archive." in lines

    code, out, _ = run("diff", str(folder), "--format", "markdown")
    assert (
        f"| `-/+` | replace price pro_api_calls ({old_price.id}) | {STAY}<br>reason: {REASON} |"
        in out.splitlines()
    )
    code, out, _ = run("diff", str(folder), "--format", "json")
    replaced = {c["key"]: c for c in json.loads(out)["changes"]}
    assert sorted(replaced) == [
        "meter:api_request",
        "portal_configuration:default",
        "price:pro_api_calls",
    ]
    assert replaced["portal_configuration:default"]["reason"] == PORTAL
    record = replaced["price:pro_api_calls"]
    assert (record["action"], record["stripe_id"], record["follows_meter"], record["reason"]) == (
        "replace",
        old_price.id,
        "api_request",
        REASON,
    )
    assert record["impact"] == {"subscriptions": 1, "gained": [], "lost": [], "changed": []}

    _apply(run, folder)
    meters = _meters(stripe_client)
    assert sorted(meters) == ["active", "inactive"]
    assert meters["inactive"].id == old_meter.id
    assert meters["active"].default_aggregation.formula == "count"
    new_price = _usage_price(stripe_client)
    assert new_price.id != old_price.id
    assert new_price.recurring is not None
    assert (new_price.recurring.usage_type, new_price.recurring.meter) == (
        "metered",
        meters["active"].id,
    )
    archived = stripe_client.v1.prices.retrieve(old_price.id)
    assert (archived.active, archived.lookup_key) == (False, None)
    assert archived.recurring is not None and archived.recurring.meter == old_meter.id
    # Without --migrate-subscribers the subscriber stays on the old price and meter.
    items = stripe_client.v1.subscriptions.retrieve(subscription.id)["items"].data
    assert [item.price.id for item in items] == [old_price.id]
    assert len(every_price(stripe_client, lookup_keys=["pro_api_calls"])) == 1

    code, out, _ = run("diff", str(folder))
    assert (code, out.splitlines()[0]) == (0, "No changes: Stripe matches the plan files.")
    emulator.reset_counters()
    _apply(run, folder)
    assert writes(emulator) == 0


def test_with_migration_the_subscribers_follow_the_price_to_the_new_meter(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    folder = _plans(tmp_path)
    _apply(run, folder)
    old_price = _usage_price(stripe_client)
    subscription = _subscribe(stripe_client, old_price.id)
    _count_formula(folder)
    code, out, _ = run("diff", str(folder), "--migrate-subscribers")
    assert code == 2
    assert (
        "    # 1 subscription(s) move to the new price and its new meter (create_prorations)"
        in out.splitlines()
    )
    _apply(run, folder, "--migrate-subscribers")
    new_price = _usage_price(stripe_client)
    items = stripe_client.v1.subscriptions.retrieve(subscription.id)["items"].data
    assert [item.price.id for item in items] == [new_price.id]
    assert new_price.recurring is not None
    assert new_price.recurring.meter == _meters(stripe_client)["active"].id
    assert run("diff", str(folder), "--migrate-subscribers")[0] == 0


def test_a_price_left_on_a_replaced_meter_is_moved_by_the_next_apply(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    """What an apply stopped between the meter and its prices leaves: the new meter active,
    the old one deactivated, the price still on the old one."""
    folder = _plans(tmp_path)
    _apply(run, folder)
    (old_meter,) = stripe_client.v1.billing.meters.list().data
    old_price = _usage_price(stripe_client)
    stripe_client.v1.billing.meters.deactivate(old_meter.id)
    new_meter = stripe_client.v1.billing.meters.create(
        params={
            "event_name": "api_request",
            "display_name": "API requests",
            "default_aggregation": {"formula": "count"},
        }
    )
    _count_formula(folder)
    code, out, _ = run("diff", str(folder), "--format", "json")
    assert code == 2
    assert [(c["action"], c["key"], c["reason"]) for c in json.loads(out)["changes"]] == [
        (
            "replace",
            "price:pro_api_calls",
            f"its meter api_request was replaced by {new_meter.id} and the price still bills "
            f"against {old_meter.id}, and Stripe cannot move a price to another meter",
        ),
        ("update", "portal_configuration:default", PORTAL),
    ]
    _apply(run, folder)
    new_price = _usage_price(stripe_client)
    assert new_price.recurring is not None and new_price.recurring.meter == new_meter.id
    assert stripe_client.v1.prices.retrieve(old_price.id).active is False
    assert run("diff", str(folder))[0] == 0


def test_the_portal_configuration_lists_the_new_price_of_a_replacement_in_the_same_apply(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    folder = shutil.copytree(EXAMPLE, tmp_path / "plans")
    _apply(run, folder)
    (old,) = stripe_client.v1.prices.list(params={"lookup_keys": ["pro_monthly"]}).data
    pro = folder / "pro.yaml"
    pro.write_text(pro.read_text().replace("amount: 4900", "amount: 5900", 1))
    code, out, _ = run("diff", str(folder), "--format", "json")
    assert code == 2
    changes = {c["key"]: c for c in json.loads(out)["changes"]}
    assert sorted(changes) == ["portal_configuration:default", "price:pro_monthly"]
    portal = changes["portal_configuration:default"]
    assert (portal["action"], portal["reason"]) == (
        "update",
        "it lists price pro_monthly, which this plan replaces: it is to list the new price",
    )
    assert portal["before"]["features"]["subscription_update"]["products"]["pro"] == sorted(
        [old.id, "pro_monthly_eur", "pro_seats_monthly", "pro_yearly"]
    )
    _apply(run, folder)
    (new,) = stripe_client.v1.prices.list(params={"lookup_keys": ["pro_monthly"]}).data
    (config,) = stripe_client.v1.billing_portal.configurations.list(
        params={"expand": ["data.features.subscription_update.products"]}
    ).data
    listed = {
        p for entry in config.features.subscription_update.products or [] for p in entry.prices
    }
    assert (new.id in listed, old.id in listed) == (True, False)
    assert run("diff", str(folder))[0] == 0
