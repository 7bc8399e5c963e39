"""A Stripe object kind: its declared fields, and everything derived from them.

A kind is declared once (`reconciler.kinds.price`, `reconciler.kinds.product`) and registered
by name (`register_kind`), like octoDNS's one class per record type: loading, the live model,
the diff state, writes, `import` and the JSON Schema all ask the kind instead of naming fields.
The kind's *terms* are the states of its Stripe fields, by field name; plan-only keys (limits,
features, the tool's own settings) are declared too, for the schema and the file layout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.kinds.field import Field, RelPath, dig, empty
from reconciler.kinds.identity import NO_IDENTITY, Identity
from reconciler.kinds.rules import Rules

# A limit across fields: the problems in one plan-file object, each located in it.
KindCheck = Callable[[Mapping[str, Any]], Iterator[tuple[RelPath, str]]]
Terms = dict[str, Any]


@dataclass(frozen=True)
class PlanKey:
    """A plan-file key that is not a Stripe field (kept in metadata, or read by the tool)."""

    key: str
    schema: Mapping[str, Any]
    checks: tuple[Callable[[Any], Iterator[tuple[RelPath, str]]], ...] = ()


@dataclass(frozen=True)
class Lost:
    """A value Stripe holds that the plan format cannot represent."""

    field: str
    value: Any

    def __str__(self) -> str:
        return f"{self.field} = {self.value!r}"


@dataclass(frozen=True)
class Kind:
    """One Stripe object kind: `fields` are Stripe's, `plan_keys` the tool's; `order` is the
    plan-file order of both (for dumps). `bookkeeping` names the answer fields that carry no
    plan data (ids, clocks, values derived from other fields); any other answer field no field
    declares is reported by `lost` when it holds a value, and so are the nested answer paths of
    `unrepresented`, each with the value that means "not used"."""

    name: str
    fields: tuple[Field, ...]
    plan_keys: tuple[PlanKey, ...] = ()
    required: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    checks: tuple[KindCheck, ...] = ()
    bookkeeping: frozenset[str] = frozenset()
    unrepresented: Mapping[str, Any] = field(default_factory=dict)
    normalize: Callable[[Terms], Terms] = lambda terms: terms
    # Parameters a create sends that no field holds (derived from the terms).
    create_extra: Callable[[Mapping[str, Any]], dict[str, Any]] = lambda terms: {}
    # How the one reconcile engine treats the kind (`rules.py`).
    rules: Rules = field(default_factory=lambda: Rules(noun="object"))
    # How an object of this kind is told apart from the others (`reconciler.kinds.identity`).
    identity: Identity = NO_IDENTITY

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    # Loading and reading: plan file or Stripe answer -> terms.

    def from_plan(self, document: Mapping[str, Any]) -> Terms:
        """The terms a validated plan-file object declares (defaults filled)."""
        return self.normalize({f.name: f.from_plan(document) for f in self.fields})

    def from_stripe(self, raw: Mapping[str, Any]) -> Terms:
        """The terms of Stripe's answer for one object (as a plain dict)."""
        return self.normalize({f.name: f.read(raw) for f in self.fields})

    def expand(self) -> list[str]:
        """What a list call must expand (`data.<path>`) to answer every field."""
        return [f"data.{f.expand}" for f in self.fields if f.expand]

    def lost(self, raw: Mapping[str, Any]) -> tuple[Lost, ...]:
        """The values of Stripe's answer that a plan file of this kind would drop."""
        known = set(self.bookkeeping)
        for f in self.fields:
            top = f.response.split(".")[0]
            known.update((top, f"{top}_decimal"))
        out = [
            Lost(name, value)
            for name, value in sorted(raw.items())
            if name not in known and name not in self.unrepresented and not empty(value)
        ]
        for path, unused in self.unrepresented.items():
            value = dig(raw, path)
            if not empty(value) and value != unused:
                out.append(Lost(path, value))
        return tuple(out)

    # Writing: terms -> Stripe parameters.

    def create_params(self, terms: Mapping[str, Any]) -> dict[str, Any]:
        """Every field with a value, as Stripe's create parameters."""
        params: dict[str, Any] = {}
        for f in self.fields:
            value = terms.get(f.name)
            if not empty(value):
                params.update(f.codec.to_stripe(value, f.param))
        params.update(self.create_extra(terms))
        return params

    def update_params(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters that change, in place, the updatable fields that differ."""
        params: dict[str, Any] = {}
        for f in self.fields:
            if f.name not in after or before.get(f.name) == after[f.name]:
                continue
            if f.changes_object(before.get(f.name), after[f.name]):
                continue
            value = after[f.name]
            params.update(f.codec.to_stripe(value, f.param) if not empty(value) else {})
            if empty(value) and f.unset is not None:
                params[f.param] = f.unset
            params.update(f.update_extra)
        return params

    def needs_new_object(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
        """True when a field Stripe cannot change in place differs."""
        return bool(self.forcing(before, after))

    def forcing(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
        """The names of the differing fields that Stripe cannot change in place."""
        return tuple(
            f.name for f in self.fields if f.changes_object(before.get(f.name), after.get(f.name))
        )

    # Dumping: terms -> plan-file values (the plan-only keys come from the caller).

    def to_plan(self, terms: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
        """A plan-file object: the fields that are not at their default, and `extra` (the
        plan-only keys), in the declared order."""
        values = {f.key: f.codec.to_plan(terms[f.name]) for f in self.fields if f.written(terms)}
        values.update(extra)
        return {key: values[key] for key in self.order if key in values}

    # Validating: the JSON Schema and the limits it cannot say.

    def schema(self) -> dict[str, Any]:
        properties: dict[str, Any] = {f.key: f.schema_of() for f in self.fields}
        properties.update({p.key: dict(p.schema) for p in self.plan_keys})
        return {
            "type": "object",
            "required": list(self.required),
            "additionalProperties": False,
            "properties": {key: properties[key] for key in self.order},
        }

    def problems(self, document: Mapping[str, Any]) -> Iterator[tuple[RelPath, str]]:
        """Every limit a plan-file object breaks beyond the schema, each located in it."""
        for f in self.fields:
            if f.key in document:
                for path, message in f.problems(document[f.key]):
                    yield (f.key, *path), message
        for p in self.plan_keys:
            if p.key in document:
                for check in p.checks:
                    for path, message in check(document[p.key]):
                        yield (p.key, *path), message
        for kind_check in self.checks:
            yield from kind_check(document)


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    """Make a kind known by its name; registering a name twice is a programming error."""
    if kind.name in KINDS:
        raise ValueError(f"kind {kind.name!r} is already registered")
    KINDS[kind.name] = kind
    return kind
