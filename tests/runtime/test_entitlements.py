"""Entitlement resolution from a cached subscription and a catalog view (pure)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from reconciler.model import UNLIMITED, Config
from reconciler.runtime.catalog import CatalogView, Grant, PlanPrice, build_view
from reconciler.runtime.entitlements import calendar_month, resolve, unavailable
from reconciler.stripe_catalog import LiveCatalog, normalize_price, normalize_product
from tests.runtime.conftest import example_plans

CONFIG = Config(default_limits={"seats": 1, "credits": 10}, default_plan="free")
NOW = 1_767_225_600.0 + 15 * 86_400  # 2026-01-16 UTC


def price(
    price_id: str,
    plan: str,
    limits: dict[str, Any],
    features: dict[str, Any],
    active: bool = True,
) -> PlanPrice:
    return PlanPrice(
        price_id=price_id,
        product_id="prod_" + plan,
        lookup_key=plan + "_monthly",
        name=plan,
        description=None,
        currency="usd",
        unit_amount=Decimal(100),
        interval="month",
        interval_count=1,
        trial_days=None,
        active=active,
        grant=Grant(plan, limits, features),
    )


VIEW = CatalogView(
    prices=(
        price("price_pro", "pro", {"seats": 5, "credits": UNLIMITED}, {"API": True}),
        price("price_old", "legacy", {"seats": 2, "credits": 10}, {"API": False}, active=False),
    ),
    default=Grant("free", {"seats": 1, "credits": 10}, {"API": False}),
    fetched_at=0.0,
)


def cached(status: str, price_id: str = "price_pro") -> dict[str, Any]:
    return {
        "subscription_id": "sub_1",
        "status": status,
        "price_id": price_id,
        "current_period_start": 1000,
        "current_period_end": 2000,
        "cancel_at_period_end": False,
        "payment_method": None,
    }


def test_nothing_cached_gets_the_default_plan_for_the_calendar_month() -> None:
    ent = resolve(None, VIEW, NOW)
    assert ent.as_dict() == {
        "status": "none",
        "plan": "free",
        "limits": {"seats": 1, "credits": 10},
        "features": {"API": False},
    }
    assert (ent.period_start, ent.period_end) == (1_767_225_600, 1_767_225_600 + 31 * 86_400)


def test_access_statuses_get_the_price_grant_and_its_period() -> None:
    for status in ("active", "trialing", "past_due"):
        ent = resolve(cached(status), VIEW, NOW)
        assert ent.as_dict() == {
            "status": status,
            "plan": "pro",
            "limits": {"seats": 5, "credits": "unlimited"},
            "features": {"API": True},
        }
        assert (ent.period_start, ent.period_end) == (1000, 2000)


def test_other_statuses_fall_back_to_the_default_plan_but_report_their_status() -> None:
    for status in ("canceled", "unpaid", "incomplete", "incomplete_expired", "paused", "none"):
        ent = resolve(cached(status), VIEW, NOW)
        assert (ent.status, ent.plan, ent.limits) == (status, "free", {"seats": 1, "credits": 10})


def test_an_archived_price_still_grants_its_subscribers() -> None:
    assert resolve(cached("active", "price_old"), VIEW, NOW).plan == "legacy"


def test_unknown_price_falls_back_to_the_default_plan() -> None:
    assert resolve(cached("active", "price_gone"), VIEW, NOW).plan == "free"


def test_names_are_taken_with_or_without_prefix() -> None:
    ent = resolve(cached("active"), VIEW, NOW)
    assert ent.limit("limits:seats", CONFIG) == 5
    assert ent.limit("seats", CONFIG) == 5
    assert ent.limit("nope", CONFIG) is None
    assert ent.has_feature("features:API", CONFIG) is True
    assert ent.has_feature("API", CONFIG) is True
    assert ent.has_feature("Missing", CONFIG) is False


def test_unavailable_answers_the_default() -> None:
    assert unavailable(VIEW, CONFIG, NOW).as_dict()["plan"] == "free"
    assert unavailable(None, CONFIG, NOW).as_dict() == {
        "status": "unknown",
        "plan": "free",
        "limits": {"seats": 1, "credits": 10},
        "features": {},
    }


def test_calendar_month_of_december() -> None:
    start, end = calendar_month(1_765_000_000.0)  # 2025-12-06
    assert (start, end) == (1_764_547_200, 1_767_225_600)


def test_view_from_stripe_fills_defaults_and_round_trips_json() -> None:
    plans = example_plans()
    product = normalize_product(
        {
            "id": "prod_1",
            "name": "Standard",
            "active": True,
            "default_price": "price_1",
            "metadata": {"plan-key": "standard", "managed-by": "reconciler"},
        }
    )
    live_price = normalize_price(
        {
            "id": "price_1",
            "product": "prod_1",
            "currency": "usd",
            "unit_amount": 1500,
            "active": True,
            "lookup_key": "standard_monthly",
            "recurring": {"interval": "month", "interval_count": 1},
            "metadata": {"limits:seats": "3", "features:Fast": "true", "trial-days": "14"},
        },
        plans.config,
    )
    view = build_view(LiveCatalog((product,), (live_price,)), plans, 123.0)
    found = view.price("price_1")
    assert found is not None
    assert found.grant == Grant(
        "standard",
        {"standard-credits": 100, "premium-credits": 0, "seats": 3},
        {"Fast": True},
        defaulted=frozenset({"standard-credits", "premium-credits"}),
    )
    assert found.as_dict()["amount"] == Decimal(15)
    assert found.trial_days == 14
    # The default plan is not in Stripe: its declared default price answers.
    assert view.default.plan == "free"
    assert view.default.limits == {"standard-credits": 100, "premium-credits": 0, "seats": 1}
    assert CatalogView.from_json(view.to_json()) == view
    assert view.active_by_lookup_key("standard_monthly") == found


def test_plan_amounts_in_major_units_follow_the_currency() -> None:
    # docs.stripe.com/currencies: jpy is zero-decimal, bhd three-decimal, usd two.
    base = price("price_x", "pro", {}, {})
    amounts = {
        currency: replace(base, currency=currency, unit_amount=Decimal(1500)).as_dict()["amount"]
        for currency in ("usd", "jpy", "krw", "bhd", "kwd")
    }
    assert amounts == {
        "usd": Decimal(15),
        "jpy": Decimal(1500),
        "krw": Decimal(1500),
        "bhd": Decimal("1.5"),
        "kwd": Decimal("1.5"),
    }
