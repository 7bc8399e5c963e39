"""`import` keeps every field the declarations know: a catalog built through the SDK with
every price and product field imports, validates, diffs clean, and applied to an empty account
gives the same objects field by field (ids aside)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import stripe

from reconciler.metadata import RESERVED_KEYS
from reconciler.testing import EmulatorControl
from tests.reconcile.conftest import Run

# Answer fields that are ids, clocks or derived from the plan's own identity.
NOT_COMPARED = {"id", "created", "updated", "product", "default_price", "livemode", "meter"}


def _create_product(client: stripe.StripeClient, params: dict[str, Any]) -> str:
    given: Any = params
    made: Any = client.v1.products.create(params=given)
    return str(made.id)


def _create_price(client: stripe.StripeClient, product: str, params: dict[str, Any]) -> str:
    full: Any = {"product": product, **params}
    made: Any = client.v1.prices.create(params=full)
    return str(made.id)


def build_catalog(client: stripe.StripeClient) -> None:
    """One product holding every product field, with a price of every kind; a metered price
    on a product of its own, on a meter that import writes to the objects file."""
    everything = _create_product(
        client,
        {
            "name": "Everything",
            "description": "Every field",
            "tax_code": "txcd_10103001",
            "unit_label": "seat",
            "statement_descriptor": "EVERYTHING CO",
            "marketing_features": [{"name": "Fast"}, {"name": "Friendly"}],
            "images": ["https://example.com/a.png", "https://example.com/b.png"],
            "url": "https://example.com/everything",
            "shippable": True,
            "metadata": {"team": "core"},
        },
    )
    monthly = _create_price(
        client,
        everything,
        {
            "lookup_key": "every_monthly",
            "nickname": "Monthly",
            "currency": "usd",
            "unit_amount": 1000,
            "tax_behavior": "exclusive",
            "recurring": {"interval": "month"},
            "currency_options": {
                "eur": {"unit_amount": 900, "tax_behavior": "exclusive"},
                "gbp": {"unit_amount_decimal": "800.5"},
            },
            "metadata": {"limits:seats": "5", "features:SSO": "true"},
        },
    )
    _create_price(
        client,
        everything,
        {
            "lookup_key": "every_tiered",
            "currency": "usd",
            "recurring": {"interval": "year"},
            "billing_scheme": "tiered",
            "tiers_mode": "graduated",
            "tiers": [{"up_to": 10, "unit_amount": 500}, {"up_to": "inf", "flat_amount": 100}],
            "currency_options": {
                "eur": {
                    "tiers": [
                        {"up_to": 10, "unit_amount": 450},
                        {"up_to": "inf", "flat_amount": 90},
                    ]
                }
            },
        },
    )
    _create_price(
        client,
        everything,
        {
            "lookup_key": "every_custom",
            "currency": "usd",
            "custom_unit_amount": {
                "enabled": True,
                "minimum": 500,
                "maximum": 50000,
                "preset": 1000,
            },
            "currency_options": {
                "eur": {"custom_unit_amount": {"enabled": True, "minimum": 400}},
            },
        },
    )
    _create_price(
        client,
        everything,
        {
            "lookup_key": "every_thousand",
            "currency": "usd",
            "unit_amount": 5,
            "recurring": {"interval": "week", "interval_count": 2},
            "transform_quantity": {"divide_by": 1000, "round": "up"},
        },
    )
    _create_price(
        client,
        everything,
        {
            "lookup_key": "every_day",
            "currency": "usd",
            "unit_amount_decimal": "0.25",
            "recurring": {"interval": "day", "interval_count": 7},
        },
    )
    client.v1.products.update(everything, params={"default_price": monthly})
    meter: Any = client.v1.billing.meters.create(
        params={
            "display_name": "API calls",
            "event_name": "api_call",
            "default_aggregation": {"formula": "sum"},
        }
    )
    usage = _create_product(client, {"name": "Usage"})
    _create_price(
        client,
        usage,
        {
            "lookup_key": "usage_metered",
            "currency": "usd",
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id},
            "billing_scheme": "tiered",
            "tiers_mode": "volume",
            "tiers": [{"up_to": 1000, "unit_amount": 0}, {"up_to": "inf", "unit_amount": 2}],
        },
    )


def snapshot(client: stripe.StripeClient) -> dict[str, Any]:
    """Every product (by name) and price (by lookup key) as Stripe answers it, without ids,
    clocks and the tool's own metadata keys."""

    def plain(raw: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in raw.items() if k not in NOT_COMPARED}
        out["metadata"] = {k: v for k, v in raw["metadata"].items() if k not in RESERVED_KEYS}
        return out

    products: Any = client.v1.products.list(params={"limit": 100})
    prices: Any = client.v1.prices.list(
        params={"limit": 100, "expand": ["data.tiers", "data.currency_options"]}
    )
    by_id = {p.id: p.name for p in products.data}
    defaults = {p.default_price: p.name for p in products.data if p.default_price}
    # A metered price names its meter by id; another account's meter has another id, so the
    # comparison names it by its event name.
    meters = {m.id: m.event_name for m in client.v1.billing.meters.list().data}

    def named_meter(raw: dict[str, Any]) -> dict[str, Any]:
        recurring = raw.get("recurring")
        if recurring and recurring.get("meter"):
            raw["recurring"] = {**recurring, "meter": meters[recurring["meter"]]}
        return raw

    return {
        "products": {p.name: plain(p.to_dict()) for p in products.data},
        "prices": {
            p.lookup_key: {
                **named_meter(plain(p.to_dict())),
                "product": by_id[p.product],
                "default_of": defaults.get(p.id),
            }
            for p in prices.data
        },
    }


def test_import_round_trips_every_price_and_product_field(
    run: Run, stripe_client: stripe.StripeClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    build_catalog(stripe_client)
    before = snapshot(stripe_client)
    out_dir = tmp_path / "imported"
    code, _, err = run("import", "--out", str(out_dir))
    assert code == 0, err
    assert run("validate", str(out_dir))[0] == 0
    code, out, err = run("diff", str(out_dir), "--adopt")
    assert code == 2, err  # unmanaged: adopting adds the ownership marker, nothing else
    # Adoption is its own action (issue 17), shown `<-`: no create, update, replace or archive.
    symbols = {line.split(" ")[0] for line in out.splitlines() if line and line[0] in "+-~<"}
    assert symbols == {"<-"}
    assert run("apply", str(out_dir), "--adopt", "--yes")[0] == 0
    code, out, err = run("diff", str(out_dir))
    assert (code, err.count("unmanaged")) == (0, 0), out
    assert snapshot(stripe_client) == before

    # The same files on an empty account: the imported objects file declares the meter, so
    # apply creates it before the metered price (meter ids differ, so they are not compared).
    emulator.reset()
    code, _, err = run("apply", str(out_dir), "--yes")
    assert code == 0, err
    again = snapshot(stripe_client)
    assert again == before
    meters = stripe_client.v1.billing.meters.list().data
    assert [(m.event_name, m.display_name) for m in meters] == [("api_call", "API calls")]
    assert run("diff", str(out_dir))[0] == 0


def test_import_stops_on_a_value_the_plan_files_cannot_hold(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    boxed = _create_product(
        stripe_client,
        {
            "name": "Boxed",
            "package_dimensions": {"height": 1.5, "length": 2, "weight": 3, "width": 4},
        },
    )
    _create_price(
        stripe_client, boxed, {"lookup_key": "boxed", "currency": "usd", "unit_amount": 300}
    )
    out_dir = tmp_path / "imported"
    code, _, err = run("import", "--out", str(out_dir))
    dropped = (
        f"product boxed ({boxed}): package_dimensions = "
        # as Stripe (and the emulator) answers it: floats
        "{'height': 1.5, 'length': 2.0, 'weight': 3.0, 'width': 4.0}"
    )
    assert code == 1
    assert f"nothing was written:\n  {dropped}\n--allow-loss writes" in err
    assert not out_dir.exists()
    code, _, err = run("import", "--out", str(out_dir), "--allow-loss")
    assert code == 0, err
    assert f"dropped: {dropped}" in err
    assert (out_dir / "boxed.yaml").exists()
    assert run("validate", str(out_dir))[0] == 0


def test_a_limit_metered_to_no_active_meter_is_a_loss_and_dropped_files_validate(
    run: Run, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    stripe_client.v1.billing.meters.create(
        params={
            "display_name": "API calls",
            "event_name": "api_call",
            "default_aggregation": {"formula": "sum"},
        }
    )
    metered = _create_product(stripe_client, {"name": "Metered", "metadata": {"plan-key": "team"}})
    price = _create_price(
        stripe_client,
        metered,
        {
            "lookup_key": "team_monthly",
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "metadata": {
                "limits:api-calls": "value=100;meter=api_call",
                "limits:tokens": "value=5;reset=month;meter=tokens_gone",
            },
        },
    )
    out_dir = tmp_path / "imported"
    code, _, err = run("import", "--out", str(out_dir))
    dropped = (
        f"price team_monthly ({price}): limit 'tokens' bills meter events named 'tokens_gone', "
        "but no active meter has that event name"
    )
    assert code == 1
    assert f"nothing was written:\n  {dropped}\n--allow-loss writes" in err
    code, _, err = run("import", "--out", str(out_dir), "--allow-loss")
    assert code == 0, err
    assert f"dropped: {dropped}" in err
    text = (out_dir / "team.yaml").read_text()
    assert "api-calls:\n    value: 100\n    meter: api_call\n" in text
    assert "tokens:\n    value: 5\n    reset: month\n" in text
    assert "tokens_gone" not in text
    assert run("validate", str(out_dir))[0] == 0
