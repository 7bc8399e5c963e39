"""Customer backfill: give every entity a Stripe customer and the store its mapping, once.

1. Entities the store already maps are skipped without a Stripe call (so a rerun, or a run
   resumed after a crash, pays nothing for the work already done).
2. One paged pass over `customers.list` (100 per request) finds customers that already carry
   `metadata.entityId` for a pending entity; they are adopted ("matched"). A list, not a
   search per entity: search is limited to 20 reads/s and lags behind writes by up to a
   minute, so it would miss customers created just before a crash.
3. The rest are created, `concurrency` at a time, each under the runtime's customer lock
   and with the runtime's idempotency key for that entity, then mapped. A create retried or
   repeated after a crash returns the customer the first attempt made.
4. A create that ends with an unknown outcome (a 5xx Stripe saved for the key, which every
   retry with that key gets back; see reconciler.recovery) is settled by one more list pass
   over the customers created since the run began: those found are mapped, the rest are
   created again with the next round's key. Up to `recovery.ROUNDS` rounds.

A request that finally fails is recorded with its reason and the run goes on; the entity
stays unmapped, so the next run picks it up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import stripe

from reconciler.backfill.calls import ApiCaller
from reconciler.backfill.inputs import EntityInput, ParsedInput
from reconciler.backfill.report import Report, Tally
from reconciler.backfill.shard import Shard
from reconciler.errors import ReconcilerError
from reconciler.recovery import ROUNDS, created_since, outcome_unknown, round_key
from reconciler.retry import failure_reason
from reconciler.runtime.customers import customer_lock
from reconciler.runtime.store.base import Store, held
from reconciler.runtime.stripe_calls import ENTITY_ID_KEY, customer_idempotency_key
from reconciler.stripe_client import stripe_errors

OUTCOMES = ("created", "matched", "skipped", "failed")
# Store reads are batched; one pipelined round trip per chunk.
READ_CHUNK = 500

Advance = Callable[[int], None]


def unmapped(store: Store, entities: Sequence[EntityInput]) -> list[EntityInput]:
    """The entities the store has no customer for, in order."""
    pending: list[EntityInput] = []
    for start in range(0, len(entities), READ_CHUNK):
        chunk = entities[start : start + READ_CHUNK]
        records = store.get_records([e.entity_id for e in chunk])
        pending += [e for e, r in zip(chunk, records, strict=True) if not r.customer_id]
    return pending


def existing_customers(
    client: stripe.StripeClient,
    caller: ApiCaller,
    wanted: set[str],
    since: float | None = None,
) -> dict[str, str]:
    """entity id -> customer id for every live customer whose `metadata.entityId` is in
    `wanted` (created since just before `since`, when given); when several carry one id, the
    oldest wins. Stripe lists newest first, so of customers created in the same second the one
    listed last is the oldest."""
    found: dict[str, tuple[int, int, str]] = {}
    params: dict[str, Any] = {} if since is None else {"created": created_since(since)}
    with stripe_errors("listing customers"):
        listed = caller.list_all(client.v1.customers, params, "GET /v1/customers")
        for position, customer in enumerate(listed):
            entity = (customer.get("metadata") or {}).get(ENTITY_ID_KEY)
            if entity not in wanted:
                continue
            candidate = (int(customer.get("created") or 0), -position, str(customer["id"]))
            if entity not in found or candidate < found[entity]:
                found[entity] = candidate
    return {entity: customer_id for entity, (_, _, customer_id) in found.items()}


def _create_one(
    client: stripe.StripeClient, store: Store, caller: ApiCaller, entity: EntityInput, round: int
) -> str:
    """'created', or 'skipped' when someone mapped the entity while we waited for its lock."""
    lock = customer_lock(entity.entity_id)
    with held(store, lock):
        if store.get_customer(entity.entity_id):
            return "skipped"
        params: Any = {"metadata": {ENTITY_ID_KEY: entity.entity_id}}
        if entity.email:
            params["email"] = entity.email
        if entity.name:
            params["name"] = entity.name
        key = round_key(customer_idempotency_key(entity.entity_id), round)
        options: Any = {"idempotency_key": key}
        customer = caller.call(
            lambda: client.v1.customers.create(params=params, options=options),
            "POST /v1/customers",
        )
        store.set_customer(entity.entity_id, str(customer.id))
        return "created"


def backfill_customers(
    entities: Sequence[EntityInput],
    client: stripe.StripeClient,
    store: Store,
    caller: ApiCaller,
    concurrency: int,
    advance: Advance = lambda _: None,
) -> Tally:
    """Steps 1-3 of the module docstring for `entities`; `advance(n)` is told as n entities
    finish. Raises `StripeCallError` only when the customer list cannot be read (creating
    without it could duplicate customers)."""
    tally = Tally(OUTCOMES)
    pending = unmapped(store, entities)
    tally.add("skipped", len(entities) - len(pending))
    advance(len(entities) - len(pending))
    if not pending:
        return tally
    started = time.time()

    def adopt(
        entities: Sequence[EntityInput], since: float | None, outcome: str
    ) -> list[EntityInput]:
        """Map the entities a list pass finds a customer for (as `outcome`); the rest."""
        found = existing_customers(client, caller, {e.entity_id for e in entities}, since)
        rest: list[EntityInput] = []
        for entity in entities:
            customer_id = found.get(entity.entity_id)
            if customer_id is None:
                rest.append(entity)
                continue
            store.set_customer(entity.entity_id, customer_id)
            tally.add(outcome)
            advance(1)
        return rest

    to_create = adopt(pending, None, "matched")
    for round in range(ROUNDS):
        unknown = _create_all(client, store, caller, to_create, concurrency, round, tally, advance)
        if not unknown:
            break
        # Step 4: what did those writes do? One list pass over this run's customers says.
        to_create = adopt(unknown, started, "created")
    return tally


def _create_all(
    client: stripe.StripeClient,
    store: Store,
    caller: ApiCaller,
    entities: Sequence[EntityInput],
    concurrency: int,
    round: int,
    tally: Tally,
    advance: Advance,
) -> list[EntityInput]:
    """Create `entities` (step 3) with round `round`'s keys; those whose outcome is unknown
    are returned (unless this is the last round: then they are failures)."""
    unknown: list[EntityInput] = []
    last = round == ROUNDS - 1

    def work(entity: EntityInput) -> None:
        try:
            tally.add(_create_one(client, store, caller, entity, round))
        except stripe.StripeError as exc:
            if outcome_unknown(exc) and not last:
                unknown.append(entity)  # list.append is atomic; settled by the caller
                return
            tally.fail(entity.entity_id, failure_reason(exc))
        except ReconcilerError as exc:
            tally.fail(entity.entity_id, str(exc))
        advance(1)

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="backfill") as pool:
        list(pool.map(work, entities))
    return unknown


def run_backfill(
    parsed: ParsedInput,
    shard: Shard,
    client: stripe.StripeClient,
    store: Store,
    caller: ApiCaller,
    concurrency: int,
    advance: Advance = lambda _: None,
) -> Report:
    """`backfill_customers` for this shard's share of `parsed`, summarized as a `Report`."""
    started = time.monotonic()
    mine = [e for e in parsed.entities if shard.owns(e.entity_id)]
    tally = backfill_customers(mine, client, store, caller, concurrency, advance)
    calls = caller.snapshot()
    return Report(
        command="backfill customers",
        counts=tally.counts(),
        failures=tally.failures(),
        malformed=parsed.problems,
        duplicates=parsed.duplicates,
        shard=str(shard),
        requests=calls["requests"],
        retries=calls["retries"],
        elapsed_seconds=time.monotonic() - started,
    )
