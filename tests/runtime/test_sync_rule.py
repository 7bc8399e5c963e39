"""The sync rule and the cached subscription shape (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.runtime.subscriptions import (
    ACCESS_STATUSES,
    add_on_products,
    governing,
    item_product,
    summarize,
)

STATUSES = [
    "active",
    "trialing",
    "past_due",
    "canceled",
    "unpaid",
    "incomplete",
    "incomplete_expired",
    "paused",
]


def sub(sub_id: str, status: str, created: int, **extra: Any) -> dict[str, Any]:
    return {"id": sub_id, "status": status, "created": created, **extra}


def test_no_subscription_governs_nothing() -> None:
    assert governing([]) is None
    assert summarize([]) == {"status": "none"}


def test_access_statuses_beat_newer_ones_without_access() -> None:
    subs = [sub("sub_old", "past_due", 100), sub("sub_new", "canceled", 300)]
    assert governing(subs) == subs[0]


def picked(subscription: Mapping[str, Any] | None) -> str | None:
    return None if subscription is None else str(subscription["id"])


def test_newest_wins_within_a_group() -> None:
    subs = [
        sub("sub_a", "active", 100),
        sub("sub_b", "trialing", 200),
        sub("sub_c", "canceled", 300),
    ]
    assert picked(governing(subs)) == "sub_b"
    ended = [sub("sub_a", "canceled", 100), sub("sub_b", "incomplete_expired", 200)]
    assert picked(governing(ended)) == "sub_b"


def test_same_second_ties_break_on_id() -> None:
    subs = [sub("sub_a", "active", 100), sub("sub_b", "active", 100)]
    assert picked(governing(subs)) == "sub_b"
    assert picked(governing(list(reversed(subs)))) == "sub_b"


@given(st.lists(st.tuples(st.sampled_from(STATUSES), st.integers(0, 10)), min_size=1, max_size=8))
def test_the_choice_does_not_depend_on_list_order(pairs: list[tuple[str, int]]) -> None:
    subs = [sub(f"sub_{i}", status, created) for i, (status, created) in enumerate(pairs)]
    chosen = governing(subs)
    assert chosen is not None
    assert governing(list(reversed(subs))) == chosen
    if any(s["status"] in ACCESS_STATUSES for s in subs):
        assert chosen["status"] in ACCESS_STATUSES


def test_summary_reads_item_periods_and_the_card() -> None:
    raw = sub(
        "sub_1",
        "active",
        5,
        cancel_at_period_end=True,
        items={
            "data": [
                {
                    "price": {"id": "price_1"},
                    "current_period_start": 1000,
                    "current_period_end": 2000,
                }
            ]
        },
        default_payment_method={"id": "pm_1", "card": {"brand": "visa", "last4": "4242"}},
    )
    assert summarize([raw]) == {
        "subscription_id": "sub_1",
        "status": "active",
        "price_id": "price_1",
        "current_period_start": 1000,
        "current_period_end": 2000,
        "cancel_at_period_end": True,
        "payment_method": {"brand": "visa", "last4": "4242"},
        "items": [{"price_id": "price_1", "quantity": 1}],
    }


def test_summary_without_card_and_with_top_level_periods() -> None:
    raw = sub(
        "sub_2",
        "canceled",
        5,
        current_period_start=10,
        current_period_end=20,
        items={"data": [{"price": "price_2"}]},
        default_payment_method="pm_unexpanded",
    )
    assert summarize([raw]) == {
        "subscription_id": "sub_2",
        "status": "canceled",
        "price_id": "price_2",
        "current_period_start": 10,
        "current_period_end": 20,
        "cancel_at_period_end": False,
        "payment_method": None,
        "items": [],
    }


def test_items_of_every_granting_subscription_are_kept_governing_first() -> None:
    def items(*pairs: tuple[str, int]) -> dict[str, Any]:
        return {"data": [{"price": {"id": p}, "quantity": q} for p, q in pairs]}

    base = sub("sub_base", "active", 100, items=items(("price_base", 1), ("price_seat", 3)))
    addon = sub("sub_addon", "trialing", 50, items=items(("price_credits", 2)))
    ended = sub("sub_old", "canceled", 300, items=items(("price_old", 1)))
    summary = summarize([addon, ended, base])
    assert summary["subscription_id"] == "sub_base"
    assert summary["price_id"] == "price_base"
    assert summary["items"] == [
        {"price_id": "price_base", "quantity": 1},
        {"price_id": "price_seat", "quantity": 3},
        {"price_id": "price_credits", "quantity": 2},
    ]


def _item(price: str, product: str, start: int, quantity: int = 1) -> dict[str, Any]:
    return {
        "price": {"id": price, "product": product},
        "quantity": quantity,
        "current_period_start": start,
        "current_period_end": start + 30 * 86_400,
    }


ADD_ONS = add_on_products({"prod_pack"})


def test_an_add_on_on_a_subscription_of_its_own_never_governs() -> None:
    base = sub("sub_base", "active", 100, items={"data": [_item("price_team", "prod_team", 100)]})
    pack = sub("sub_pack", "active", 500, items={"data": [_item("price_pack", "prod_pack", 500)]})
    assert picked(governing([base, pack], ADD_ONS)) == "sub_base"
    assert picked(governing([base, pack])) == "sub_pack"  # without knowing the add-ons
    summary = summarize([pack, base], ADD_ONS)
    assert (summary["subscription_id"], summary["price_id"]) == ("sub_base", "price_team")
    assert (summary["current_period_start"], summary["items"]) == (
        100,
        [{"price_id": "price_team", "quantity": 1}, {"price_id": "price_pack", "quantity": 1}],
    )
    # A canceled base plan does not govern over an active add-on: access comes first.
    ended = {**base, "status": "canceled"}
    assert picked(governing([ended, pack], ADD_ONS)) == "sub_pack"


def test_the_governing_item_is_the_first_base_item() -> None:
    both = sub(
        "sub_1",
        "active",
        100,
        items={
            "data": [
                _item("price_pack", "prod_pack", 100, 2),
                _item("price_team", "prod_team", 100),
            ]
        },
    )
    assert summarize([both], ADD_ONS)["price_id"] == "price_team"
    assert summarize([both])["price_id"] == "price_pack"
    only_packs = sub(
        "sub_2", "active", 100, items={"data": [_item("price_pack", "prod_pack", 100)]}
    )
    assert summarize([only_packs], ADD_ONS)["price_id"] == "price_pack"
    assert item_product({"price": {"id": "p", "product": {"id": "prod_x"}}}) == "prod_x"
    assert item_product({"price": "price_only_an_id"}) is None
