"""The combination rules and reset windows (pure), and `resolve` over a subscription's items."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from reconciler.model import UNLIMITED, Limit
from reconciler.runtime.catalog import CatalogView, Grant, PlanPrice
from reconciler.runtime.combine import NEVER_END, combine, merge_feature, window
from reconciler.runtime.entitlements import resolve

BASE = Grant(
    "team",
    {"seats": Limit(1, per_unit=True), "credits": 1000, "projects": 5, "exports": 0},
    {"SSO": False, "Max projects": 5, "Support": "email", "Colour": "blue"},
)
CREDIT_PACK = Grant(
    "credit-pack",
    {"credits": 500, "exports": Limit(2, per_unit=True)},
    {"Max projects": 10, "SSO": True, "Support": "phone", "Badge": "gold"},
    add_on=True,
)
UNLIMITED_PACK = Grant("all-you-can-eat", {"credits": UNLIMITED}, {}, add_on=True)


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_add_ons_add_their_limits_times_quantity_and_merge_features() -> None:
    combined = combine(BASE, 3, [(CREDIT_PACK, 2)])
    assert combined.limits == {"seats": 3, "credits": 2000, "projects": 5, "exports": 4}
    assert combined.features == {
        "SSO": True,  # true wins
        "Max projects": 10,  # the larger number wins
        "Support": "email",  # text from the base plan
        "Colour": "blue",
        "Badge": "gold",  # ... unless the base lacks it
    }


def test_unlimited_wins_and_base_quantity_scales_only_per_unit_limits() -> None:
    combined = combine(BASE, 4, [(CREDIT_PACK, 1), (UNLIMITED_PACK, 1)])
    assert combined.limits["credits"] is UNLIMITED
    assert combined.limits["seats"] == 4
    assert combined.limits["projects"] == 5


def test_reset_and_meter_come_from_the_base_else_the_add_on() -> None:
    base = Grant("b", {"calls": Limit(100, reset="month")}, {})
    pack = Grant("p", {"calls": Limit(50, meter="api"), "tokens": Limit(9, reset="day")}, {}, True)
    combined = combine(base, 1, [(pack, 1)])
    assert combined.limits == {"calls": 150, "tokens": 9}
    assert combined.resets == {"calls": "month", "tokens": "day"}
    assert combined.meters == {"calls": "api"}


def test_merge_feature_keeps_the_base_for_mixed_kinds() -> None:
    assert merge_feature(True, 5) is True
    assert merge_feature(3, 2.5) == 3
    assert merge_feature(None, "x") == "x"
    assert merge_feature(False, False) is False


def test_monthly_windows_count_from_the_period_start_and_clamp_short_months() -> None:
    anchor = ts("2026-01-31T10:00:00")
    year = (anchor, ts("2027-01-31T10:00:00"))
    assert window("month", anchor, year, ts("2026-02-01T00:00:00")) == (
        anchor,
        ts("2026-02-28T10:00:00"),
    )
    assert window("month", anchor, year, ts("2026-02-28T10:00:00")) == (
        ts("2026-02-28T10:00:00"),
        ts("2026-03-31T10:00:00"),
    )
    assert window("year", anchor, year, ts("2026-06-01T00:00:00")) == year
    assert window("billing_period", anchor, year, ts("2026-06-01T00:00:00")) == year
    assert window("never", anchor, year, ts("2026-06-01T00:00:00")) == (0, NEVER_END)


def test_daily_and_weekly_windows() -> None:
    anchor = ts("2026-03-01T12:00:00")
    period = (anchor, ts("2026-04-01T12:00:00"))
    assert window("day", anchor, period, ts("2026-03-03T11:59:59")) == (
        ts("2026-03-02T12:00:00"),
        ts("2026-03-03T12:00:00"),
    )
    assert window("week", anchor, period, ts("2026-03-08T12:00:00")) == (
        ts("2026-03-08T12:00:00"),
        ts("2026-03-15T12:00:00"),
    )


def price(price_id: str, grant: Grant) -> PlanPrice:
    return PlanPrice(
        price_id,
        "prod_" + price_id,
        None,
        price_id,
        None,
        "usd",
        Decimal(100),
        "month",
        1,
        None,
        True,
        grant,
    )


VIEW = CatalogView(
    (price("price_team", BASE), price("price_pack", CREDIT_PACK)),
    Grant("free", {"seats": 1, "credits": 10}, {"SSO": False}),
    0.0,
)


def test_resolve_takes_the_first_base_item_and_every_add_on() -> None:
    sub = {
        "status": "active",
        "price_id": "price_pack",
        "current_period_start": 100,
        "current_period_end": 200,
        "items": [
            {"price_id": "price_pack", "quantity": 2},
            {"price_id": "price_team", "quantity": 3},
            {"price_id": "price_gone", "quantity": 1},
        ],
    }
    ent = resolve(sub, VIEW, 150)
    assert ent.plan == "team"
    assert dict(ent.limits) == {"seats": 3, "credits": 2000, "projects": 5, "exports": 4}
    assert (ent.period_start, ent.period_end, ent.valid_until) == (100, 200, 200)


def test_add_ons_without_a_base_plan_add_to_the_default_plan() -> None:
    sub = {"status": "active", "items": [{"price_id": "price_pack", "quantity": 1}]}
    ent = resolve(sub, VIEW, 150)
    assert ent.plan == "free"
    assert ent.limits["credits"] == 510


def test_a_record_cached_before_items_grants_its_price() -> None:
    ent = resolve({"status": "active", "price_id": "price_team"}, VIEW, 150)
    assert ent.plan == "team" and ent.limits["seats"] == 1


def test_the_worked_example_of_docs_runtime_md() -> None:
    team = Grant(
        "team",
        {"seats": Limit(1, per_unit=True), "credits": 1000, "api-calls": Limit(100, reset="month")},
        {"Priority Support": False, "Max projects": 5, "Support": "email"},
    )
    pack = Grant(
        "credit-pack",
        {"credits": 500, "api-calls": Limit(50, per_unit=True)},
        {"Priority Support": True, "Max projects": 10, "Support": "phone", "Badge": "gold"},
        add_on=True,
    )
    combined = combine(team, 3, [(pack, 2)])
    assert combined.limits == {"seats": 3, "credits": 2000, "api-calls": 200}
    assert combined.resets == {"api-calls": "month"}
    assert combined.features == {
        "Priority Support": True,
        "Max projects": 10,
        "Support": "email",
        "Badge": "gold",
    }


# Base fee plus per-seat price on one product: the flat fee declares the product's limits
# (seats only from the defaults), the seat price the same plus its own `seats: {per_unit: 1}`.
FLAT_FEE = Grant(
    "team",
    {"seats": 1, "credits": 1000, "api-calls": Limit(100, reset="month")},
    {"SSO": True},
    defaulted=frozenset({"seats"}),
)
PER_SEAT = Grant(
    "team",
    {"seats": Limit(1, per_unit=True), "credits": 1000, "api-calls": Limit(100, reset="month")},
    {"SSO": True},
)


def test_a_seat_price_of_the_base_product_grants_its_seats_and_the_product_limits_once() -> None:
    combined = combine(FLAT_FEE, 1, [], [(PER_SEAT, 7)])
    assert combined.limits == {"seats": 7, "credits": 1000, "api-calls": 100}
    assert combined.resets == {"api-calls": "month"}
    assert combined.features == {"SSO": True}
    # Add-ons still add on top; a base item declaring seats itself keeps them and adds.
    with_pack = combine(FLAT_FEE, 1, [(CREDIT_PACK, 1)], [(PER_SEAT, 7)])
    assert with_pack.limits["seats"] == 7 and with_pack.limits["credits"] == 1500
    own_seats = Grant("team", {"seats": 2, "credits": 1000}, {})
    assert combine(own_seats, 1, [], [(PER_SEAT, 3)]).limits == {
        "seats": 5,
        "credits": 1000,
        "api-calls": 100,
    }


def test_resolve_passes_items_of_the_base_product_and_ignores_another_plan() -> None:
    view = CatalogView(
        (
            price("price_flat", FLAT_FEE),
            price("price_seat", PER_SEAT),
            price("price_other", Grant("enterprise", {"seats": Limit(1, per_unit=True)}, {})),
        ),
        Grant("free", {"seats": 1}, {}),
        0.0,
    )
    items = [
        {"price_id": "price_flat", "quantity": 1},
        {"price_id": "price_seat", "quantity": 12},
        {"price_id": "price_other", "quantity": 30},  # another base product: adds nothing
    ]
    ent = resolve({"status": "active", "items": items}, view, 150)
    assert (ent.plan, dict(ent.limits)) == (
        "team",
        {"seats": 12, "credits": 1000, "api-calls": 100},
    )
    # The seat price alone first: it is the base item and grants its seats per unit.
    alone = resolve({"status": "active", "items": items[1:2]}, view, 150)
    assert dict(alone.limits) == {"seats": 12, "credits": 1000, "api-calls": 100}
