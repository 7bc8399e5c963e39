"""Customer backfill: give every entity a Stripe customer and the store its mapping, once.

1. Entities the store already maps are skipped without a Stripe call (so a rerun, or a run
   resumed after a crash, pays nothing for the work already done).
2. One paged pass over `customers.list` (100 per request) finds the customers that already
   belong to a pending entity: those carrying its `metadata.entityId` ("matched"), and those
   the team's application made without the tool, named by the input's `customer_id` or found
   by `MatchRules` ("adopted": `metadata.entityId` is written onto them, one update each;
   the rules and their refusals are in `reconciler.backfill.adopt`). A list, not a search
   per entity: search is limited to 20 reads/s and lags behind writes by up to a minute, so
   it would miss customers created just before a crash.
3. The rest are created, `concurrency` at a time, each under the runtime's customer lock
   and with the runtime's idempotency key for that entity, then mapped. A create retried or
   repeated after a crash returns the customer the first attempt made.
4. A create that ends with an unknown outcome (a 5xx Stripe saved for the key, which every
   retry with that key gets back; see reconciler.recovery) is settled by one more list pass
   over the customers created since the run began: those found are mapped, the rest are
   created again with the next round's key. Up to `recovery.ROUNDS` rounds.

A request that finally fails, or an adoption the rules refuse, is recorded with its reason and
the run goes on; the entity stays unmapped, so the next run picks it up. A dry run makes the
list pass and writes nothing, to Stripe or the store.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import stripe

from reconciler.backfill.adopt import (
    BY_ENTITY_ID,
    Decision,
    Listed,
    MatchRules,
    decide,
    listed,
    relevant,
)
from reconciler.backfill.calls import ApiCaller
from reconciler.backfill.inputs import EntityInput, ParsedInput
from reconciler.backfill.report import Adoption, Report, Tally
from reconciler.backfill.shard import Shard
from reconciler.errors import ReconcilerError
from reconciler.recovery import ROUNDS, created_since, outcome_unknown, round_key
from reconciler.retry import failure_reason
from reconciler.runtime.customers import customer_lock
from reconciler.runtime.store.base import Store, held
from reconciler.runtime.stripe_calls import ENTITY_ID_KEY, customer_idempotency_key
from reconciler.stripe_client import stripe_errors

OUTCOMES = ("created", "matched", "adopted", "skipped", "failed")
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
    client: stripe.StripeClient, caller: ApiCaller, wanted: set[str], since: float
) -> dict[str, str]:
    """entity id -> customer id for every customer created since just before `since` whose
    `metadata.entityId` is in `wanted` (step 4); of several, the oldest (`Listed.age`)."""
    found: dict[str, Listed] = {}
    params: dict[str, Any] = {"created": created_since(since)}
    with stripe_errors("listing customers"):
        listing = caller.list_all(client.v1.customers, params, "GET /v1/customers")
        for position, raw in enumerate(listing):
            customer = listed(raw, position, BY_ENTITY_ID)
            entity = customer.entity_id
            if entity in wanted and (entity not in found or customer.age < found[entity].age):
                found[entity] = customer
    return {entity: customer.id for entity, customer in found.items()}


def list_candidates(
    client: stripe.StripeClient,
    caller: ApiCaller,
    pending: Sequence[EntityInput],
    rules: MatchRules,
) -> list[Listed]:
    """The customers of one list pass that may belong to a pending entity (step 2); only
    those are kept, so a large account costs no memory beyond them."""
    entities = {e.entity_id for e in pending}
    customer_ids = {e.customer_id for e in pending if e.customer_id}
    emails = {e.email.casefold() for e in pending if e.email} if rules.email else set()
    kept: list[Listed] = []
    with stripe_errors("listing customers"):
        listing = caller.list_all(client.v1.customers, {}, "GET /v1/customers")
        for position, raw in enumerate(listing):
            customer = listed(raw, position, rules)
            if relevant(customer, entities, customer_ids, emails):
                kept.append(customer)
    return kept


def adoption_key(entity_id: str, customer_id: str, run: str) -> str:
    """The idempotency key of one adoption's update in one run: setting the same metadata
    twice is harmless, so each run has its own (a failure Stripe saved for one run's key is
    never handed back to the next run)."""
    digest = hashlib.sha256(f"{entity_id}\n{customer_id}".encode()).hexdigest()[:40]
    return f"reconciler-adopt-{digest}-{run}"


def _adopt_one(
    client: stripe.StripeClient,
    store: Store,
    caller: ApiCaller,
    entity_id: str,
    customer_id: str,
    run: str,
) -> str:
    """'adopted': `metadata.entityId` written onto the customer, then mapped; or 'skipped'
    when someone mapped the entity while we waited for its lock."""
    with held(store, customer_lock(entity_id)):
        if store.get_customer(entity_id):
            return "skipped"
        params: Any = {"metadata": {ENTITY_ID_KEY: entity_id}}
        options: Any = {"idempotency_key": adoption_key(entity_id, customer_id, run)}
        caller.call(
            lambda: client.v1.customers.update(customer_id, params=params, options=options),
            "POST /v1/customers/{id}",
        )
        store.set_customer(entity_id, customer_id)
        return "adopted"


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


@dataclass
class CustomersRun:
    """What one backfill did: the outcome tally, and each customer adopted (or, in a dry run,
    to be adopted)."""

    tally: Tally = field(default_factory=lambda: Tally(OUTCOMES))
    adoptions: list[Adoption] = field(default_factory=list)


def backfill_customers(
    entities: Sequence[EntityInput],
    client: stripe.StripeClient,
    store: Store,
    caller: ApiCaller,
    concurrency: int,
    advance: Advance = lambda _: None,
    rules: MatchRules = BY_ENTITY_ID,
    dry_run: bool = False,
    every: Sequence[EntityInput] | None = None,
) -> CustomersRun:
    """Steps 1-4 of the module docstring for `entities` (`every`: the whole input, of which
    `entities` is this shard's share); `advance(n)` is told as n entities finish. Raises
    `StripeCallError` only when the customer list cannot be read (creating without it could
    duplicate customers)."""
    run = CustomersRun()
    tally = run.tally
    pending = unmapped(store, entities)
    tally.add("skipped", len(entities) - len(pending))
    advance(len(entities) - len(pending))
    if not pending:
        return run
    started = time.time()
    decisions = decide(pending, list_candidates(client, caller, pending, rules), rules, every)
    to_create: list[EntityInput] = []
    to_adopt: list[tuple[str, Decision]] = []
    for entity in pending:
        decision = decisions.get(entity.entity_id)
        if decision is None:
            to_create.append(entity)
        elif decision.outcome == "adopted":
            to_adopt.append((entity.entity_id, decision))
        else:
            if decision.outcome == "refused":
                tally.fail(entity.entity_id, decision.reason)
            else:  # matched
                if not dry_run:
                    store.set_customer(entity.entity_id, str(decision.customer_id))
                tally.add("matched")
            advance(1)
    if dry_run:
        for entity_id, decision in to_adopt:
            run.adoptions.append(Adoption(entity_id, str(decision.customer_id), decision.by))
        tally.add("adopted", len(to_adopt))
        tally.add("created", len(to_create))
        advance(len(to_adopt) + len(to_create))
        return run
    _adopt_all(client, store, caller, to_adopt, concurrency, run, advance)

    def settle(entities: Sequence[EntityInput]) -> list[EntityInput]:
        """Map the entities of this run's customers a list pass finds (created); the rest."""
        found = existing_customers(client, caller, {e.entity_id for e in entities}, started)
        rest: list[EntityInput] = []
        for entity in entities:
            customer_id = found.get(entity.entity_id)
            if customer_id is None:
                rest.append(entity)
                continue
            store.set_customer(entity.entity_id, customer_id)
            tally.add("created")
            advance(1)
        return rest

    for round in range(ROUNDS):
        unknown = _create_all(client, store, caller, to_create, concurrency, round, tally, advance)
        if not unknown:
            break
        # Step 4: what did those writes do? One list pass over this run's customers says.
        to_create = settle(unknown)
    return run


def _adopt_all(
    client: stripe.StripeClient,
    store: Store,
    caller: ApiCaller,
    to_adopt: Sequence[tuple[str, Decision]],
    concurrency: int,
    run: CustomersRun,
    advance: Advance,
) -> None:
    """Write each adoption (step 2), `concurrency` at a time; a failure is recorded."""
    token = uuid.uuid4().hex[:12]

    def work(item: tuple[str, Decision]) -> None:
        entity_id, decision = item
        customer_id = str(decision.customer_id)
        try:
            outcome = _adopt_one(client, store, caller, entity_id, customer_id, token)
        except stripe.StripeError as exc:
            run.tally.fail(entity_id, failure_reason(exc))
        except ReconcilerError as exc:
            run.tally.fail(entity_id, str(exc))
        else:
            run.tally.add(outcome)
            if outcome == "adopted":
                run.adoptions.append(Adoption(entity_id, customer_id, decision.by))
        advance(1)

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="adopt") as pool:
        list(pool.map(work, to_adopt))


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
    rules: MatchRules = BY_ENTITY_ID,
    dry_run: bool = False,
) -> Report:
    """`backfill_customers` for this shard's share of `parsed`, summarized as a `Report`."""
    started = time.monotonic()
    mine = [e for e in parsed.entities if shard.owns(e.entity_id)]
    run = backfill_customers(
        mine, client, store, caller, concurrency, advance, rules, dry_run, parsed.entities
    )
    calls = caller.snapshot()
    return Report(
        command="backfill customers",
        counts=run.tally.counts(),
        failures=run.tally.failures(),
        malformed=parsed.problems,
        duplicates=parsed.duplicates,
        shard=str(shard),
        requests=calls["requests"],
        retries=calls["retries"],
        elapsed_seconds=time.monotonic() - started,
        adoptions=tuple(sorted(run.adoptions, key=lambda a: a.entity_id)),
        dry_run=dry_run,
    )
