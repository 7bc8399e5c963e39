"""Pure parts of the emulator: search queries, billing periods, amounts, paging, masking."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler.emulator.coupons import generated_coupon_id
from reconciler.emulator.errors import StripeError, mask_key
from reconciler.emulator.pages import money
from reconciler.emulator.periods import add_interval, line_amount, next_period_end
from reconciler.emulator.search import compile_query
from reconciler.emulator.store import Collection

FIELDS = {"active": lambda obj: obj["active"], "name": lambda obj: obj["name"]}
GOLD = {"active": True, "name": "Gold plan", "metadata": {"tier": "gold", "x": "it's"}}
SILVER = {"active": False, "name": "Silver", "metadata": {"tier": "silver"}}


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("query", "gold", "silver"),
    [
        ("active:'true'", True, False),
        ("metadata['tier']:'silver'", False, True),
        ('metadata["tier"]:"gold" AND active:"true"', True, False),
        ("metadata['tier']:'gold' active:'false'", False, False),
        ("metadata['tier']:'gold' OR metadata['tier']:'silver'", True, True),
        ("name~'plan'", True, False),
        ("-name:'Silver'", True, False),
        ("metadata['x']:'it\\'s'", True, False),
        ("metadata['missing']:'x'", False, False),
    ],
)
def test_search_queries(query: str, gold: bool, silver: bool) -> None:
    matches = compile_query(query, FIELDS)
    assert (matches(GOLD), matches(SILVER)) == (gold, silver)


@pytest.mark.parametrize(
    "query", ["colour:'red'", "active:'true' AND name:'x' OR name:'y'", "active 'true'"]
)
def test_bad_search_queries_are_400(query: str) -> None:
    with pytest.raises(StripeError) as caught:
        compile_query(query, FIELDS)
    assert (caught.value.status, caught.value.param) == (400, "query")


def test_month_periods_keep_the_anchor_day() -> None:
    anchor = _ts("2026-01-31T10:00:00")
    assert add_interval(anchor, "month", 1) == _ts("2026-02-28T10:00:00")
    assert add_interval(anchor, "month", 2) == _ts("2026-03-31T10:00:00")
    assert next_period_end(anchor, _ts("2026-02-28T10:00:00"), "month", 1) == _ts(
        "2026-03-31T10:00:00"
    )
    assert add_interval(anchor, "year", 1) == _ts("2027-01-31T10:00:00")
    assert add_interval(anchor, "week", 2) == anchor + 14 * 86400


def _price(scheme: str = "per_unit", mode: str | None = None, decimal: str | None = None) -> Any:
    return {"billing_scheme": scheme, "tiers_mode": mode, "unit_amount_decimal": decimal}


TIERS: list[dict[str, Any]] = [
    {"up_to": 10, "unit_amount_decimal": "100", "flat_amount_decimal": None},
    {"up_to": None, "unit_amount_decimal": "50", "flat_amount_decimal": "1000"},
]


def test_line_amounts() -> None:
    assert line_amount(_price(decimal="1500"), [], 3) == 4500
    assert line_amount(_price(decimal="0.5"), [], 3) == 2
    assert line_amount(_price("tiered", "graduated"), TIERS, 12) == 10 * 100 + 2 * 50 + 1000
    assert line_amount(_price("tiered", "volume"), TIERS, 12) == 12 * 50 + 1000
    assert line_amount(_price("tiered", "volume"), TIERS, 4) == 400


def test_collection_pages_around_tombstones() -> None:
    collection = Collection()
    for index in range(6):
        collection.add({"id": f"o{index}"})
    collection.remove("o3")
    everything = lambda _: True  # noqa: E731
    page, more = collection.page(everything, 2)
    assert ([obj["id"] for obj in page], more) == (["o5", "o4"], True)
    page, more = collection.page(everything, 2, starting_after="o4")
    assert ([obj["id"] for obj in page], more) == (["o2", "o1"], True)
    page, more = collection.page(everything, 3, ending_before="o1")
    assert ([obj["id"] for obj in page], more) == (["o5", "o4", "o2"], False)
    assert len(collection) == 5 and "o3" not in collection


def test_keys_are_masked() -> None:
    assert mask_key("sk_live_abcdefgh1234") == "sk_live_********1234"
    assert mask_key("garbage") == "***bage"


def test_hosted_pages_show_amounts_in_the_currencys_own_decimals() -> None:
    # docs.stripe.com/currencies: jpy has no minor unit, bhd has three decimals.
    assert [money(123456, c) for c in ("usd", "jpy", "bhd")] == [
        "1,234.56 USD",
        "123,456 JPY",
        "123.456 BHD",
    ]
    assert money(None, "usd") == ""


def test_an_indexed_collection_finds_objects_by_field() -> None:
    subs = Collection(index_by="customer")
    for n, customer in enumerate(("cus_a", "cus_b", "cus_a")):
        subs.add({"id": f"sub_{n}", "customer": customer})
    assert [s["id"] for s in subs.having("cus_a")] == ["sub_0", "sub_2"]
    subs.remove("sub_0")
    assert [s["id"] for s in subs.having("cus_a")] == ["sub_2"]
    assert subs.having("cus_none") == []


def test_a_generated_coupon_id_is_eight_letters_and_digits_holding_a_digit() -> None:
    # A quarter of random 8-character ids hold no digit: 2,000 draws meet hundreds of them.
    made = [generated_coupon_id() for _ in range(2000)]
    assert all(re.fullmatch(r"[A-Za-z0-9]{8}", m) and re.search(r"[0-9]", m) for m in made)
    assert len(set(made)) == len(made)
