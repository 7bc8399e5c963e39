"""Writes whose outcome is unknown: read the state back, then retry with a new key only where
the write did not happen.

Stripe saves the answer to an idempotency key once the endpoint began executing, 500s included
(docs: api/idempotent_requests), and keeps it for 24 hours. So after a 5xx (or a connection
lost with no answer the policy could replay) the same key can never say whether the write
landed: a 500 saved "during" execution means nothing was written, one saved "after" means the
object exists. The caller reads Stripe back (`find`); what it finds is the result, and only
when it finds nothing is the write sent again, with a new key derived from the first.

A key's saved failure outlives the run that met it: a rerun within the day (the same plan, the
same entity) would meet the saved 500s of all its keys again. So a failure that Stripe answers
from its store (`Idempotent-Replayed: true`) makes the keys after it this run's own (a random
part added): the read back has just shown that nothing was made, and any later rerun reads back
again before writing past its first key.

Use: `write_once(lambda key: create(..., key), lambda: find_recent(...), key)`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

import stripe

from reconciler.retry import replayed

T = TypeVar("T")

# Stripe's limit on an idempotency key (docs: api/idempotent_requests).
MAX_KEY_LENGTH = 255
# Rounds of (write, read back) before the last unknown outcome is raised.
ROUNDS = 8
# Objects created by a write are looked for from this long before it started (clock skew
# between this machine and Stripe's `created` timestamps).
CREATED_MARGIN = 300


def outcome_unknown(exc: BaseException) -> bool:
    """True when a failed write may or may not have happened: any 5xx, or no answer at all."""
    if isinstance(exc, stripe.APIConnectionError):
        return True
    return isinstance(exc, stripe.StripeError) and (exc.http_status or 0) >= 500


def own_key(key: str, part: str) -> str:
    """`key` made this run's own by `part`, with room left for a round's suffix."""
    room = MAX_KEY_LENGTH - len(part) - 1 - len(f".r{ROUNDS}")
    return f"{key[:room]}.{part}"


def round_key(key: str, attempt: int) -> str:
    """The key of attempt `attempt` (0 = `key` itself), at most 255 characters."""
    if attempt == 0:
        return key[:MAX_KEY_LENGTH]
    suffix = f".r{attempt}"
    return key[: MAX_KEY_LENGTH - len(suffix)] + suffix


def created_since(started: float) -> dict[str, int]:
    """The `created` filter of a list that must contain what a write begun at `started` made."""
    return {"gte": int(started) - CREATED_MARGIN}


def write_once(
    write: Callable[[str], T],
    find: Callable[[], T | None],
    key: str,
    rounds: int = ROUNDS,
    part: Callable[[], str] = lambda: secrets.token_hex(6),
) -> T:
    """`write(key)` (which retries on its own by the retry policy); when it still ends with an
    unknown outcome, `find()` reads the state back: a found object is the result, otherwise the
    write is sent again with the next round's key (this run's own, `part()` added, once an
    answer was a replayed one). Errors that say the write did not happen (4xx) are raised at
    once, as is the last unknown outcome."""
    own = False
    for attempt in range(rounds):
        try:
            return write(round_key(key, attempt))
        except Exception as exc:
            if not outcome_unknown(exc) or attempt == rounds - 1:
                raise
            found = find()
            if found is not None:
                return found
            if replayed(exc) and not own:
                key, own = own_key(key, part()), True
    raise AssertionError("unreachable: the last round returns or raises")
