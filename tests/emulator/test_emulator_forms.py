"""The form decoder and parameter checks, without a server."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stripe._encode import _api_encode

from reconciler.emulator.errors import StripeError
from reconciler.emulator.forms import (
    FREE,
    SCALAR,
    as_bool,
    as_int,
    check_params,
    form_pairs,
    merge_metadata,
    parse_form,
    split_key,
)

_FORM_TEXT = st.text(alphabet=st.sampled_from("ab=&+%[]09EeZ\u00e9;"), max_size=40)


@given(_FORM_TEXT)
def test_form_pairs_decode_as_the_standard_library_does(text: str) -> None:
    assert form_pairs(text) == parse_qsl(text, keep_blank_values=True)


def test_form_pairs_of_a_typical_body() -> None:
    assert form_pairs("email=a%40example.com&name=A+B&&flag&x=%ZZ") == [
        ("email", "a@example.com"),
        ("name", "A B"),
        ("flag", ""),
        ("x", "%ZZ"),
    ]


def test_split_key_reads_every_bracket() -> None:
    assert split_key("items[0][price]") == ["items", "0", "price"]
    assert split_key("expand[]") == ["expand", ""]
    assert split_key("name") == ["name"]


def test_nested_keys_become_dicts_and_lists() -> None:
    body = (
        "metadata[plan]=pro&items[0][price]=price_a&items[0][quantity]=2"
        "&items[1][price]=price_b&expand[]=data.product&expand[]=customer"
        "&recurring[interval]=month&tiers[0][up_to]=inf"
    )
    assert parse_form(body) == {
        "metadata": {"plan": "pro"},
        "items": [{"price": "price_a", "quantity": "2"}, {"price": "price_b"}],
        "expand": ["data.product", "customer"],
        "recurring": {"interval": "month"},
        "tiers": [{"up_to": "inf"}],
    }


def test_indexed_lists_are_ordered_by_index_not_arrival() -> None:
    assert parse_form("expand[1]=b&expand[0]=a&expand[10]=c") == {"expand": ["a", "b", "c"]}


def test_empty_values_and_encoded_characters_survive() -> None:
    assert parse_form("metadata=&name=T%26C+shirt") == {"metadata": "", "name": "T&C shirt"}


def test_bracketed_list_of_objects_without_indexes() -> None:
    body = "items[][price]=a&items[][quantity]=1&items[][price]=b"
    assert parse_form(body) == {"items": [{"price": "a", "quantity": "1"}, {"price": "b"}]}


def test_unknown_parameter_is_named_with_its_path() -> None:
    spec = {"recurring": {"interval": SCALAR}, "metadata": FREE}
    check_params({"recurring": {"interval": "month"}, "metadata": {"any": "x"}}, spec)
    with pytest.raises(StripeError) as caught:
        check_params({"recurring": {"interval": "month", "foo": "1"}}, spec)
    assert caught.value.message == "Received unknown parameter: recurring[foo]"
    assert caught.value.param == "recurring[foo]"
    assert caught.value.code == "parameter_unknown"


def test_list_items_are_checked_with_their_index() -> None:
    spec = {"items": [{"price": SCALAR}]}
    with pytest.raises(StripeError) as caught:
        check_params({"items": [{"price": "a"}, {"plan": "b"}]}, spec)
    assert caught.value.param == "items[1][plan]"


def test_booleans_and_integers_are_typed() -> None:
    assert as_bool("true", "active") is True
    assert as_bool("false", "active") is False
    assert as_int("-12", "limit") == -12
    with pytest.raises(StripeError, match="Invalid boolean: yes"):
        as_bool("yes", "active")
    with pytest.raises(StripeError, match=r"Invalid integer: 1\.5"):
        as_int("1.5", "limit")


def test_metadata_merges_deletes_and_clears() -> None:
    current = {"a": "1", "b": "2"}
    assert merge_metadata(current, {"b": "", "c": "3"}) == {"a": "1", "c": "3"}
    assert merge_metadata(current, "") == {}
    assert current == {"a": "1", "b": "2"}


_leaf = st.text(alphabet="ab Z09&=+%[]?/\u00e9\u20ac", max_size=8)
_key = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=6)
_values: st.SearchStrategy[Any] = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3)
        | st.dictionaries(_key, inner, min_size=1, max_size=3)
    ),
    max_leaves=8,
)


@given(st.dictionaries(_key, _values, max_size=4))
def test_whatever_the_sdk_encodes_decodes_to_the_same_structure(params: dict[str, Any]) -> None:
    assert parse_form(urlencode(list(_api_encode(params)))) == params
