"""Pure tests of the plan model's small behaviours."""

from __future__ import annotations

from decimal import Decimal

from reconciler.currencies import ISO_4217, amount_problem
from reconciler.diagnostics import Diagnostic, format_path
from reconciler.kinds.values import new_price, new_product
from reconciler.model import Catalog, Config, Recurring, Tier, Urls


def test_price_kind_and_scheme() -> None:
    flat = new_price("a", currency="usd", unit_amount=Decimal(100), recurring=Recurring("month"))
    tiered = new_price("b", currency="usd", tiers_mode="volume", tiers=(Tier(None, Decimal(5)),))
    assert (flat.type, flat.billing_scheme) == ("recurring", "per_unit")
    assert (tiered.type, tiered.billing_scheme) == ("one_time", "tiered")


def test_catalog_lookups() -> None:
    price = new_price("pro_monthly", currency="usd", unit_amount=Decimal(4900))
    product = new_product("pro", "Pro", prices=(price,))
    catalog = Catalog((product,))
    assert catalog.product("pro") is product
    assert catalog.product("gold") is None
    assert product.price("pro_monthly") is price
    assert product.price("pro_yearly") is None
    assert catalog.prices() == ((product, price),)


def test_urls_for_mode_overlays_environment() -> None:
    config = Config(
        urls=Urls("https://a/success", "https://a/cancel", "https://a/portal"),
        environments={"test": Urls(checkout_success="http://localhost/success")},
    )
    assert config.urls_for("test") == Urls(
        "http://localhost/success", "https://a/cancel", "https://a/portal"
    )
    assert config.urls_for("live") == config.urls


def test_amount_limits() -> None:
    assert amount_problem(Decimal("99999999")) is None
    assert amount_problem(Decimal("0.000000000001")) is None
    assert amount_problem(Decimal("-1")) == "amount must not be negative"
    assert (
        amount_problem(Decimal("0.0000000000001")) == "amount 1E-13 has more than 12 decimal places"
    )


def test_currency_list_is_iso_4217() -> None:
    assert {"usd", "eur", "jpy", "gbp", "chf"} <= ISO_4217
    assert "xyz" not in ISO_4217
    assert {"xcg", "zwg", "sle"} <= ISO_4217  # codes added in 2022-2025
    assert not {"xau", "usn", "xdr", "eu"} & ISO_4217  # metals, funds, not a code


def test_diagnostic_format_and_path() -> None:
    assert format_path(("prices", 0, "limits", "seats")) == "prices[0].limits.seats"
    assert format_path(("features", "Priority Support")) == "features['Priority Support']"
    error = Diagnostic("plans/a.yaml", 3, 5, "product.key", "bad")
    warning = Diagnostic("plans/a.yaml", 1, 1, "", "odd", "warning")
    assert error.format() == "plans/a.yaml:3:5: product.key: bad"
    assert warning.format() == "plans/a.yaml:1:1: warning: odd"
