"""Identity: how an object of each kind is told apart from the others, declared with the kind.

A kind's `Identity` lists its sources in order; the first that yields a key decides:

1. `plan-key`: the tool's own metadata (a product's or coupon's `plan-key`);
2. `lookup-key`: the lookup key (prices);
3. `own-id`: the id the user chose when creating the object (a coupon's id, a promotion code's
   code, an Entitlements feature's lookup key, a meter's event name);
4. `derived`: a key made from the object's name and, for prices, its terms (currency,
   interval, amount or tiers).

`resolve` turns the candidates of one kind into keys unique within the kind: candidates are
taken in the order (source, archived last, created time, terms), and a key already taken gets
`-2`, `-3`, ... in that order. No step reads an id Stripe chose (except to break a tie between
two objects created in the same second with identical terms), so a test-mode and a live-mode
account holding the same objects yield the same keys. The adapter from Stripe's live objects
is `reconciler.stripe_catalog.identities`.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.metadata import PRODUCT_KEY_KEY


class Source(enum.Enum):
    """Where an object's key came from, strongest first."""

    PLAN_KEY = "plan-key"
    LOOKUP_KEY = "lookup-key"
    OWN_ID = "own-id"
    DERIVED = "derived"

    @property
    def rank(self) -> int:
        return list(Source).index(self)


@dataclass(frozen=True)
class Candidate:
    """What identity reads of one live object, as plain values: its terms as its kind
    declares them, its metadata as Stripe holds it, the key of the object it belongs to
    (`parent`: a price's product, an attachment's product) and facts no field declares
    (`facts`: a portal configuration's `is_default`, a coupon's own id)."""

    stripe_id: str
    created: int
    terms: Mapping[str, Any]
    metadata: Mapping[str, str] = field(default_factory=dict)
    active: bool = True
    parent: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)


# One source's reading of a candidate: its key, or None when the object has none there.
Reader = Callable[[Candidate], str | None]


@dataclass(frozen=True)
class Rule:
    source: Source
    read: Reader


@dataclass(frozen=True)
class Identified:
    """The key an object got and the source that decided it."""

    key: str
    source: Source


@dataclass(frozen=True)
class Identity:
    """A kind's identity sources in order. The last rule should always yield a key; when none
    does, the kind's name is the base (made unique like any other)."""

    rules: tuple[Rule, ...] = ()
    fallback: str = "object"

    def decide(self, candidate: Candidate) -> Identified:
        """The first source that yields a non-empty key (not yet made unique)."""
        for rule in self.rules:
            key = rule.read(candidate)
            if key:
                return Identified(key, rule.source)
        return Identified(self.fallback, Source.DERIVED)

    def resolve(
        self, candidates: Iterable[Candidate], taken: Iterable[str] = ()
    ) -> dict[str, Identified]:
        """Stripe id -> unique key, for every candidate of this kind. `taken` are keys that
        are not free (none by default)."""
        decided = [(c, self.decide(c)) for c in candidates]
        decided.sort(key=lambda pair: _order(*pair))
        used = set(taken)
        out: dict[str, Identified] = {}
        for candidate, identified in decided:
            key = unique(identified.key, used)
            out[candidate.stripe_id] = Identified(key, identified.source)
        return out


def _order(candidate: Candidate, identified: Identified) -> tuple[Any, ...]:
    terms = json.dumps(candidate.terms, sort_keys=True, default=str)
    return (
        identified.source.rank,
        not candidate.active,
        candidate.created,
        terms,
        candidate.stripe_id,  # only two objects alike in everything above reach this
    )


def unique(base: str, used: set[str]) -> str:
    """`base`, or `base-2`, `base-3`, ... the first not in `used` (which it joins)."""
    key, n = base, 2
    while key in used:
        key, n = f"{base}-{n}", n + 1
    used.add(key)
    return key


# Readers shared by the kinds' declarations.

KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
MAX_KEY = 60


def slug(text: str, fallback: str) -> str:
    """A plan key from free text: lowercase letters, digits, `-` and `_`, at most 60
    characters, starting with a letter or digit (`fallback` when nothing is left)."""
    cleaned = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")
    return cleaned[:MAX_KEY].rstrip("-_") or fallback


def plan_key_metadata(candidate: Candidate) -> str | None:
    """The tool's own key, kept in the `plan-key` metadata."""
    return candidate.metadata.get(PRODUCT_KEY_KEY) or None


def term(name: str) -> Reader:
    """A term that is the key as it stands (a lookup key, a code, an event name)."""

    def read(candidate: Candidate) -> str | None:
        value = candidate.terms.get(name)
        return str(value) if value else None

    return read


def name_slug(fallback: str) -> Reader:
    """The object's name as a plan key."""

    def read(candidate: Candidate) -> str | None:
        return slug(str(candidate.terms.get("name") or ""), fallback)

    return read


NO_IDENTITY = Identity()


@dataclass(frozen=True)
class Identities:
    """Every live object's key, by (kind, Stripe id), with the source that decided it."""

    by_id: Mapping[tuple[str, str], Identified] = field(default_factory=dict)
    # (kind, key) -> Stripe id, built once: the diff looks a declared object up by its key.
    _by_key: dict[tuple[str, str], str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._by_key.update({(k, found.key): sid for (k, sid), found in self.by_id.items()})

    def get(self, kind: str, stripe_id: str) -> Identified | None:
        return self.by_id.get((kind, stripe_id))

    def key(self, kind: str, stripe_id: str) -> str:
        """The key of a known object (KeyError for an unknown one)."""
        return self.by_id[(kind, stripe_id)].key

    def id_of(self, kind: str, key: str) -> str | None:
        """The Stripe id of the object of `kind` whose key is `key`, if any."""
        return self._by_key.get((kind, key))

    def of_kind(self, kind: str) -> dict[str, Identified]:
        """Stripe id -> identity, for one kind."""
        return {sid: found for (k, sid), found in self.by_id.items() if k == kind}
