"""Which existing Stripe customer each pending entity gets, if any (pure, no I/O).

A user base built before the tool has customers that do not carry `metadata.entityId`: the
team's application made them, and knows them by a column of its own (`customer_id` in the
input), a metadata key of its own (`--match-metadata user_id`) or the email address
(`--match-email`). For each entity, in this order:

1. a customer whose `metadata.entityId` is the entity: **matched** (the oldest of several);
2. the input's `customer_id`: **adopted**, when that customer exists and carries no other
   entity's `metadata.entityId`;
3. with `--match-metadata KEY`, the one customer whose `metadata.KEY` is the entity id;
4. with `--match-email`, the one customer with the entity's email (any case);
5. none: the entity gets a new customer.

Only customers carrying no `metadata.entityId` are candidates in 3 and 4. Nothing is
guessed: two candidates, an input `customer_id` contradicting a customer that already names
the entity, an email several input entities share, a candidate the input gives to another
entity, or one customer that two entities would take, are **refused** with the reason, and
those entities stay unmapped for a person to settle. The whole input counts for the emails
and the `customer_id`s, also when a shard decides only its own entities.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.backfill.inputs import EntityInput
from reconciler.runtime.stripe_calls import ENTITY_ID_KEY


@dataclass(frozen=True)
class MatchRules:
    """How a customer made without the tool is recognised (beyond an input `customer_id`)."""

    metadata_key: str | None = None  # `--match-metadata`
    email: bool = False  # `--match-email`


# Only `metadata.entityId` and the input's `customer_id` (the default).
BY_ENTITY_ID = MatchRules()


@dataclass(frozen=True)
class Listed:
    """What the decision needs of one customer of Stripe's list (newest first: `position`)."""

    id: str
    created: int
    position: int
    entity_id: str | None
    email: str | None
    key_value: str | None  # its `metadata.<MatchRules.metadata_key>`

    @property
    def age(self) -> tuple[int, int]:
        """Sorts oldest first: of customers made in one second, the one listed last."""
        return (self.created, -self.position)


@dataclass(frozen=True)
class Decision:
    """`matched` or `adopted` a customer (`by`: how it was found), or `refused` (`reason`)."""

    outcome: str
    customer_id: str | None = None
    by: str = ""
    reason: str = ""


def listed(raw: Mapping[str, Any], position: int, rules: MatchRules) -> Listed:
    """One customer of a list page, as the decision reads it."""
    metadata = raw.get("metadata") or {}
    key = rules.metadata_key
    return Listed(
        id=str(raw["id"]),
        created=int(raw.get("created") or 0),
        position=position,
        entity_id=metadata.get(ENTITY_ID_KEY),
        email=raw.get("email"),
        key_value=metadata.get(key) if key else None,
    )


def relevant(
    customer: Listed, entities: set[str], customer_ids: set[str], emails: set[str]
) -> bool:
    """Whether a listed customer can matter to any pending entity (the rest are not kept)."""
    return (
        customer.entity_id in entities
        or customer.id in customer_ids
        or (customer.entity_id is None and customer.key_value in entities)
        or (customer.entity_id is None and _folded(customer.email) in emails)
    )


def _folded(email: str | None) -> str | None:
    return email.casefold() if email else None


def _ids(customers: Iterable[Listed]) -> str:
    return ", ".join(c.id for c in sorted(customers, key=lambda c: c.age))


class _Index:
    def __init__(self, customers: Sequence[Listed]) -> None:
        self.by_id = {c.id: c for c in customers}
        self.by_entity: dict[str, list[Listed]] = defaultdict(list)
        self.by_key: dict[str, list[Listed]] = defaultdict(list)
        self.by_email: dict[str, list[Listed]] = defaultdict(list)
        for c in customers:
            if c.entity_id is not None:
                self.by_entity[c.entity_id].append(c)
                continue
            if c.key_value is not None:
                self.by_key[c.key_value].append(c)
            if c.email:
                self.by_email[c.email.casefold()].append(c)


@dataclass(frozen=True)
class _Input:
    """What the whole input says, across shards: the emails several entities share, and the
    entity each `customer_id` is given to."""

    shared_emails: set[str]
    given: dict[str, str]


def _unclaimed(
    entity: EntityInput, candidates: list[Listed], holds: str, whole: _Input
) -> Decision | None:
    """Refuses a candidate the input gives to another entity by its `customer_id`."""
    for candidate in candidates:
        owner = whole.given.get(candidate.id)
        if owner is not None and owner != entity.entity_id:
            return Decision(
                "refused",
                reason=f"customer {candidate.id} has {holds}, but the input gives it to "
                f"entity {owner} (customer_id)",
            )
    return None


def _one_of(
    entity: EntityInput, candidates: list[Listed], holds: str, by: str, whole: _Input
) -> Decision:
    """The one candidate that `holds` what was looked for, adopted (found `by` it); or why
    not: several do, or the input gives it to another entity."""
    if len(candidates) > 1:
        return Decision(
            "refused",
            reason=f"{len(candidates)} customers have {holds} ({_ids(candidates)}); give the "
            "one to keep in the input's customer_id column",
        )
    return _unclaimed(entity, candidates, holds, whole) or Decision(
        "adopted", candidates[0].id, by=by
    )


def _decide_one(
    entity: EntityInput, index: _Index, rules: MatchRules, whole: _Input
) -> Decision | None:
    mine = sorted(index.by_entity.get(entity.entity_id, ()), key=lambda c: c.age)
    given = entity.customer_id
    if mine:
        if given is not None and all(c.id != given for c in mine):
            return Decision(
                "refused",
                reason=f"the input names customer {given}, but customer {mine[0].id} already "
                f"carries metadata.entityId {entity.entity_id}",
            )
        return Decision("matched", given or mine[0].id)
    if given is not None:
        found = index.by_id.get(given)
        if found is None:
            return Decision(
                "refused",
                reason=f"customer {given} (from the input) does not exist in this account "
                "and mode, or was deleted",
            )
        if found.entity_id is not None:
            return Decision(
                "refused",
                reason=f"customer {given} (from the input) carries metadata.entityId "
                f"{found.entity_id}, another entity",
            )
        return Decision("adopted", given, by="customer_id")
    if rules.metadata_key is not None:
        key = f"metadata.{rules.metadata_key}"
        candidates = index.by_key.get(entity.entity_id, [])
        if candidates:
            return _one_of(entity, candidates, f"{key} = {entity.entity_id}", key, whole)
    email = _folded(entity.email)
    if rules.email and email is not None:
        candidates = index.by_email.get(email, [])
        if candidates and email in whole.shared_emails:
            return Decision(
                "refused",
                reason=f"several entities in the input have the email {entity.email}, so "
                f"it cannot say whose customer {_ids(candidates)} is; give it in the "
                "customer_id column of the one it belongs to",
            )
        if candidates:
            return _one_of(entity, candidates, f"the email {entity.email}", "email", whole)
    return None


def decide(
    pending: Sequence[EntityInput],
    customers: Sequence[Listed],
    rules: MatchRules,
    every: Sequence[EntityInput] | None = None,
) -> dict[str, Decision]:
    """entity id -> its decision, for the pending entities that do not get a new customer
    (see the module docstring). `every` is the whole input (default: `pending`): a shard
    decides its own entities, but an email or a `customer_id` of an entity in another shard
    still counts, so two shards never adopt one customer."""
    index = _Index(customers)
    counted: dict[str, int] = defaultdict(int)
    given: dict[str, str] = {}
    for entity in every if every is not None else pending:
        if entity.email:
            counted[entity.email.casefold()] += 1
        if entity.customer_id:
            given[entity.customer_id] = entity.entity_id
    whole = _Input({email for email, n in counted.items() if n > 1}, given)
    decisions: dict[str, Decision] = {}
    for entity in pending:
        decision = _decide_one(entity, index, rules, whole)
        if decision is not None:
            decisions[entity.entity_id] = decision
    # One customer two entities would take: neither does.
    takers: dict[str, list[str]] = defaultdict(list)
    for entity_id, decision in decisions.items():
        if decision.outcome == "adopted" and decision.customer_id is not None:
            takers[decision.customer_id].append(entity_id)
    for customer_id, entity_ids in takers.items():
        if len(entity_ids) > 1:
            names = ", ".join(sorted(entity_ids))
            for entity_id in entity_ids:
                decisions[entity_id] = Decision(
                    "refused",
                    reason=f"customer {customer_id} would be adopted by {len(entity_ids)} "
                    f"entities ({names})",
                )
    return decisions
