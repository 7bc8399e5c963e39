"""The unknown-outcome rule of reconciler.recovery, as pure functions over SDK error values."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from reconciler.recovery import outcome_unknown, round_key, write_once

# These two SDK constructors are untyped; their instances are what the SDK raises.
ConnectionLost: Any = stripe.APIConnectionError
BadRequest: Any = stripe.InvalidRequestError


def test_only_5xx_and_lost_connections_are_unknown() -> None:
    assert outcome_unknown(stripe.APIError("x", http_status=500))
    assert outcome_unknown(stripe.APIError("x", http_status=503))
    assert outcome_unknown(ConnectionLost("reset"))
    assert not outcome_unknown(BadRequest("bad", "p", http_status=400))
    assert not outcome_unknown(stripe.RateLimitError("slow", http_status=429))
    assert not outcome_unknown(ValueError("ours"))


def test_round_keys_stay_within_255_characters() -> None:
    assert round_key("k", 0) == "k"
    assert round_key("k", 2) == "k.r2"
    assert round_key("a" * 300, 0) == "a" * 255
    assert round_key("a" * 300, 3) == "a" * 252 + ".r3"


def test_found_object_ends_it_and_a_miss_sends_a_new_key() -> None:
    sent: list[str] = []
    finds = iter([None, "cus_found"])

    def write(key: str) -> str:
        sent.append(key)
        raise stripe.APIError("saved 500", http_status=500)

    assert write_once(write, lambda: next(finds), "key") == "cus_found"
    assert sent == ["key", "key.r1"]


def test_a_4xx_is_raised_without_reading_back() -> None:
    def write(key: str) -> str:
        raise BadRequest("bad", "p", http_status=400)

    def find() -> str | None:
        raise AssertionError("a 4xx says the write did not happen")

    with pytest.raises(stripe.InvalidRequestError):
        write_once(write, find, "key")


def test_the_last_unknown_outcome_is_raised() -> None:
    sent: list[str] = []

    def write(key: str) -> str:
        sent.append(key)
        raise ConnectionLost("gone")

    with pytest.raises(stripe.APIConnectionError):
        write_once(write, lambda: None, "key", rounds=3)
    assert sent == ["key", "key.r1", "key.r2"]
