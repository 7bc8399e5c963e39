"""The one metadata parser: every Stripe string parsed, nothing silently defaulted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconciler.kinds.values import new_price, new_product
from reconciler.metadata import (
    format_feature,
    format_limit,
    parse_feature,
    parse_limit,
    parse_price_metadata,
    price_metadata,
    product_metadata,
    strip_prefix,
    with_default_limits,
)
from reconciler.model import UNLIMITED, Config, Limit, Recurring


@pytest.mark.parametrize(
    ("text", "value"), [("1000", 1000), ("0", 0), ("unlimited", UNLIMITED), (" 7 ", 7)]
)
def test_parse_limit(text: str, value: object) -> None:
    assert parse_limit(text) == value


@pytest.mark.parametrize("text", ["-1", "1.5", "lots", "", "01"])
def test_parse_limit_refuses(text: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_limit(text)
    assert str(raised.value) == f"limit value {text!r} is not a non-negative integer or 'unlimited'"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("false", False),
        ("12", 12),
        ("-3", -3),
        ("2.5", 2.5),
        ("Unlimited", "Unlimited"),
        ("1e3", "1e3"),
    ],
)
def test_parse_feature(text: str, value: object) -> None:
    parsed = parse_feature(text)
    assert parsed == value
    assert type(parsed) is type(value)


def test_formatting_round_trips() -> None:
    assert format_limit(UNLIMITED) == "unlimited"
    assert format_limit(25) == "25"
    assert [format_feature(v) for v in (True, False, 3, 2.5, "chat")] == [
        "true",
        "false",
        "3",
        "2.5",
        "chat",
    ]


CONFIG = Config(default_limits={"seats": 1, "credits": 100})


def test_price_metadata_carries_limits_features_trial_and_marker() -> None:
    price = new_price(
        lookup_key="pro_monthly",
        currency="usd",
        unit_amount=Decimal(4900),
        recurring=Recurring("month"),
        trial_days=14,
        limits={"credits": UNLIMITED, "seats": 10},
        features={"Priority Support": True},
        metadata={"team": "growth"},
    )
    assert price_metadata(price, CONFIG) == {
        "team": "growth",
        "limits:credits": "unlimited",
        "limits:seats": "10",
        "features:Priority Support": "true",
        "trial-days": "14",
        "managed-by": "reconciler",
    }


def test_product_metadata_carries_key_and_marker() -> None:
    product = new_product("pro", "Pro", metadata={"tier": "3"})
    assert product_metadata(product) == {"tier": "3", "plan-key": "pro", "managed-by": "reconciler"}


def test_parse_price_metadata_splits_and_reports_bad_values() -> None:
    parsed = parse_price_metadata(
        {
            "limits:seats": "10",
            "limits:credits": "many",
            "features:Chat": "true",
            "trial-days": "zero",
            "managed-by": "reconciler",
            "team": "growth",
        },
        CONFIG,
    )
    assert parsed.limits == {"seats": 10}
    assert parsed.features == {"Chat": True}
    assert parsed.other == {"team": "growth"}
    assert parsed.managed is True
    assert parsed.trial_days is None
    assert parsed.errors == (
        "metadata 'limits:credits': limit value 'many' is not a non-negative integer or 'unlimited'",
        "metadata 'trial-days': 'zero' is not a positive integer",
    )


def test_unmanaged_and_custom_prefixes() -> None:
    config = Config(limits_prefix="quota.", features_prefix="flag.")
    parsed = parse_price_metadata({"quota.api": "5", "flag.beta": "false", "limits:x": "1"}, config)
    assert (parsed.limits, parsed.features, parsed.other, parsed.managed) == (
        {"api": 5},
        {"beta": False},
        {"limits:x": "1"},
        False,
    )


def test_defaults_fill_only_missing_limits() -> None:
    assert with_default_limits({"seats": 3}, CONFIG.default_limits) == {"seats": 3, "credits": 100}


def test_strip_prefix() -> None:
    assert strip_prefix("limits:seats", "limits:") == "seats"
    assert strip_prefix("seats", "limits:") == "seats"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Limit(10, per_unit=True), "per_unit=10"),
        (Limit(10000, reset="month"), "value=10000;reset=month"),
        (Limit(10000, meter="api_requests"), "value=10000;meter=api_requests"),
        (
            Limit(UNLIMITED, per_unit=True, reset="never", meter="m"),
            "per_unit=unlimited;reset=never;meter=m",
        ),
    ],
)
def test_rich_limits_encode_as_name_value_pairs_and_read_back(value: Limit, text: str) -> None:
    assert format_limit(value) == text
    assert parse_limit(text) == value
    assert len(format_limit(Limit(1, reset="month", meter="m" * 100))) < 500


def test_a_rich_form_that_adds_nothing_is_a_plain_value() -> None:
    assert parse_limit("value=5") == 5
    assert format_limit(Limit(5)) == "value=5"
    assert parse_limit("value=unlimited;reset=billing_period") is UNLIMITED


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "value=1;per_unit=2",
            "limit value 'value=1;per_unit=2' needs exactly one of value= or per_unit=",
        ),
        ("reset=month", "limit value 'reset=month' needs exactly one of value= or per_unit="),
        (
            "value=1;reset=hourly",
            "limit value 'value=1;reset=hourly': reset must be one of day, week, month, year, billing_period, never",
        ),
        ("value=1;every=day", "limit value 'value=1;every=day': unknown part 'every'"),
        ("value=1;value=2", "limit value 'value=1;value=2': 'value=2' is not one name=value pair"),
        ("value=1;meter=", "limit value 'value=1;meter=': meter= needs a meter's event name"),
        ("per_unit=-2", "limit value '-2' is not a non-negative integer or 'unlimited'"),
    ],
)
def test_rich_limits_refuse_bad_text(text: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_limit(text)
    assert str(raised.value) == message


def test_add_on_products_say_so_in_metadata() -> None:
    product = new_product("credits", name="Credit pack", add_on=True)
    assert product_metadata(product)["add-on"] == "true"
    assert "add-on" not in product_metadata(new_product("pro", name="Pro"))
