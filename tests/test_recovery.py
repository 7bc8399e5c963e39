"""The unknown-outcome rule of reconciler.recovery, as pure functions over SDK error values."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from reconciler.recovery import outcome_unknown, own_key, round_key, write_once
from reconciler.retry import replayed, should_retry

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


def _saved_500() -> stripe.APIError:
    """A 500 Stripe answers from what it saved for the key (an earlier run's)."""
    return stripe.APIError("saved 500", http_status=500, headers={"idempotent-replayed": "true"})


def test_a_replayed_answer_is_told_from_a_new_one() -> None:
    assert replayed(_saved_500())
    assert replayed(stripe.APIError("x", http_status=500, headers={"Idempotent-Replayed": "true"}))
    assert not replayed(stripe.APIError("x", http_status=500, headers={"Request-Id": "req_1"}))
    assert not replayed(ConnectionLost("reset"))
    # Another attempt with the same key would only be answered the same again.
    assert not should_retry(_saved_500())
    assert should_retry(stripe.APIError("x", http_status=500))


def test_after_a_replayed_failure_the_keys_are_this_runs_own() -> None:
    """A rerun within the day meets the 500s its keys saved: it reads back once, then writes
    with keys no earlier run used, instead of replaying all of them."""
    sent: list[str] = []

    def write(key: str) -> str:
        sent.append(key)
        if len(sent) == 1:
            raise _saved_500()
        if len(sent) == 2:
            raise stripe.APIError("new 500", http_status=500)
        return f"made with {key}"

    finds: list[None] = []
    made = write_once(write, lambda: finds.append(None), "key", part=lambda: "run1")
    assert made == "made with key.run1.r2"
    assert sent == ["key", "key.run1.r1", "key.run1.r2"]
    assert len(finds) == 2  # read back after each unknown outcome, the replayed one too


def test_an_own_key_leaves_room_for_the_round() -> None:
    long = own_key("k" * 300, "abcdef")
    assert long == "k" * 245 + ".abcdef"
    assert len(round_key(long, 7)) == 255
    assert round_key(long, 7).endswith(".abcdef.r7")
