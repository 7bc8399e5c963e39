"""One declared Stripe field: where it lives in a plan file, in Stripe's parameters and in
Stripe's answers, how its value converts between the three, whether Stripe can change it in
place, and the limits a plan file must respect.

A field's value inside the tool is its *state*: a plain JSON value (amounts as decimal strings
in minor units, objects as dicts with every sub-field present), the same for a plan file and for
Stripe's answer, so the diff compares states and nothing else. The codecs below convert:

    plan-file value --from_plan--> state --to_plan--> plan-file value       (load, dump)
    Stripe's answer --from_stripe-> state --to_stripe-> Stripe parameters    (read, write)
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# A location inside a plan file, relative to the declaring object: ("tiers", 0, "up_to").
RelPath = tuple[str | int, ...]
# A limit the schema cannot say: the problems it finds in a plan-file value, each located.
Check = Callable[[Any], Iterator[tuple[RelPath, str]]]


class Mutability(enum.Enum):
    """What Stripe lets an existing object do with this field."""

    UPDATE = "update"  # the update endpoint changes it in place
    REPLACE = "replace"  # Stripe cannot change it: a difference plans a new object
    CREATE_ONLY = "create_only"  # sent once at creation; a difference also plans a new object


def too_long(what: str, length: int, limit: int) -> str:
    """The message for a text longer than Stripe allows."""
    return f"{what} is {length} characters; Stripe allows at most {limit}"


def dig(raw: Mapping[str, Any] | None, path: str) -> Any:
    """The value at a dotted path of a Stripe answer (None where any step is missing)."""
    value: Any = raw
    for step in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def empty(value: Any) -> bool:
    """True for a state Stripe is not sent at creation (absent, blank, no items)."""
    return value is None or value == "" or value == [] or value == {}


class Codec:
    """Identity conversions: the plan-file value, the state and Stripe's value are the same.
    Subclasses override the directions that differ."""

    def from_plan(self, value: Any) -> Any:
        return value

    def to_plan(self, state: Any) -> Any:
        return state

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        return dig(raw, path)

    def to_stripe(self, state: Any, param: str) -> dict[str, Any]:
        return {} if state is None else {param: state}

    def schema(self, declared: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON Schema of the plan-file value (the field's own schema, as declared)."""
        return dict(declared)

    def problems(self, value: Any) -> Iterator[tuple[RelPath, str]]:
        """The limits broken inside a plan-file value (nested fields' checks)."""
        return iter(())


class Lowercase(Codec):
    """Texts Stripe keeps in lowercase (currency codes)."""

    def from_plan(self, value: Any) -> Any:
        return None if value is None else str(value).lower()

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        return self.from_plan(dig(raw, path))


class Flag(Codec):
    """A boolean Stripe always answers (absent reads as false)."""

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        return bool(dig(raw, path))


def amount_text(value: Decimal | None) -> str | None:
    """`Decimal("4900")` -> `"4900"`, `Decimal("0.50")` -> `"0.5"`: one spelling per amount."""
    return None if value is None else format(value.normalize(), "f")


class Amount(Codec):
    """Minor units: an integer or decimal string in plan files, a decimal string as state,
    `<param>` (whole units) or `<param>_decimal` (fractions) for Stripe, which answers both."""

    def from_plan(self, value: Any) -> Any:
        return None if value is None else amount_text(Decimal(str(value)))

    def to_plan(self, state: Any) -> Any:
        if state is None:
            return None
        amount = Decimal(state)
        return int(amount) if amount == amount.to_integral_value() else format(amount, "f")

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        decimal_text, integer = dig(raw, f"{path}_decimal"), dig(raw, path)
        if decimal_text is not None:
            return amount_text(Decimal(str(decimal_text)))
        return None if integer is None else amount_text(Decimal(int(integer)))

    def to_stripe(self, state: Any, param: str) -> dict[str, Any]:
        if state is None:
            return {}
        amount = Decimal(state)
        if amount == amount.to_integral_value():
            return {param: int(amount)}
        return {f"{param}_decimal": state}

    def schema(self, declared: Mapping[str, Any]) -> dict[str, Any]:
        return {"$ref": "#/$defs/amount", **declared}


class UpTo(Codec):
    """A tier's upper bound: a count, or `inf` (Stripe answers null for the last tier)."""

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        value = dig(raw, path)
        return "inf" if value is None else value


class Record(Codec):
    """A nested object declared field by field (a price's `recurring`, one tier): the state
    holds every sub-field, defaults filled; a plan file omits the defaults."""

    def __init__(self, *fields: Field) -> None:
        self.fields = fields

    def from_plan(self, value: Any) -> Any:
        if value is None:
            return None
        return {f.name: f.from_plan(value) for f in self.fields}

    def to_plan(self, state: Any) -> Any:
        if state is None:
            return None
        return {f.key: f.codec.to_plan(state[f.name]) for f in self.fields if f.written(state)}

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        inner = dig(raw, path)
        if not isinstance(inner, Mapping):
            return None
        return {f.name: f.read(inner) for f in self.fields}

    def to_stripe(self, state: Any, param: str) -> dict[str, Any]:
        if state is None:
            return {}
        return {param: self.params(state)}

    def params(self, state: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.fields:
            if f.param is not None and state.get(f.name) is not None:
                out.update(f.codec.to_stripe(state[f.name], f.param))
        return out

    def schema(self, declared: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object"}
        required = [f.key for f in self.fields if f.required]
        if required:
            out["required"] = required
        out["additionalProperties"] = False
        out["properties"] = {f.key: f.schema_of() for f in self.fields}
        return {**out, **declared}

    def problems(self, value: Any) -> Iterator[tuple[RelPath, str]]:
        if isinstance(value, Mapping):
            for f in self.fields:
                if f.key in value:
                    for path, message in f.problems(value[f.key]):
                        yield (f.key, *path), message


class Present(Codec):
    """A flag Stripe's parameters need and its answers leave out (`custom_unit_amount.enabled`):
    the enclosing object's presence says it."""

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        return True


class Ref(Codec):
    """A reference to another declared kind (a metered price's meter), held as the referenced
    object's plan key. The seam for the referenced kind: until it is declared (`KINDS`), the
    key is the Stripe id itself, written and read as is."""

    def __init__(self, kind: str) -> None:
        self.kind = kind


class Keyed(Codec):
    """A mapping from a code to an object declared field by field (`currency_options`): every
    entry changes on its own. `skip` names the answer field whose value is left out of the
    mapping (Stripe includes the price's own currency in its currency options)."""

    def __init__(self, item: Record, skip: str | None = None) -> None:
        self.item = item
        self.skip = skip

    def from_plan(self, value: Any) -> Any:
        return {code.lower(): self.item.from_plan(v) for code, v in sorted((value or {}).items())}

    def to_plan(self, state: Any) -> Any:
        return {code: self.item.to_plan(v) for code, v in (state or {}).items()}

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        found = dig(raw, path) or {}
        own = dig(raw, self.skip) if self.skip else None
        return {
            code: self.item.from_stripe({"item": v}, "item")
            for code, v in sorted(found.items())
            if code != own
        }

    def to_stripe(self, state: Any, param: str) -> dict[str, Any]:
        if not state:
            return {}
        return {param: {code: self.item.params(v) for code, v in state.items()}}

    def schema(self, declared: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": self.item.schema({}), **declared}

    def problems(self, value: Any) -> Iterator[tuple[RelPath, str]]:
        if isinstance(value, Mapping):
            for code, item in value.items():
                for path, message in self.item.problems(item):
                    yield (code, *path), message


class Items(Codec):
    """A list whose items share one codec (a price's tiers); the list changes as a unit."""

    def __init__(self, item: Codec, item_schema: Mapping[str, Any] | None = None) -> None:
        self.item = item
        self.item_schema = item_schema or {}

    def from_plan(self, value: Any) -> Any:
        return [self.item.from_plan(v) for v in value or ()]

    def to_plan(self, state: Any) -> Any:
        return [self.item.to_plan(v) for v in state or ()]

    def from_stripe(self, raw: Mapping[str, Any], path: str) -> Any:
        return [self.item.from_stripe({"item": v}, "item") for v in dig(raw, path) or ()]

    def to_stripe(self, state: Any, param: str) -> dict[str, Any]:
        if not state:
            return {}
        if isinstance(self.item, Record):
            return {param: [self.item.params(v) for v in state]}
        return {param: list(state)}

    def schema(self, declared: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "array", **declared, "items": self.item.schema(self.item_schema)}

    def problems(self, value: Any) -> Iterator[tuple[RelPath, str]]:
        if isinstance(value, list):
            for i, item in enumerate(value):
                for path, message in self.item.problems(item):
                    yield (i, *path), message


@dataclass(frozen=True)
class Field:
    """One field of a Stripe object kind, declared once.

    `name` is its key in the diff state (what `diff` shows); `key` its plan-file key, `param`
    its Stripe parameter and `response` its dotted path in Stripe's answer (each defaults to
    `name`). `default` is the state of a plan file that leaves it out: `dump` omits it then,
    and `import` reports a Stripe value it cannot write. `unset` is the parameter that clears
    it on update (None: Stripe has no way to clear it). `checks` are the limits the JSON
    Schema cannot say. `replaces_when(before, after)` overrides `mutability` for fields Stripe
    changes only from some values (a price's tax behaviour, only while unspecified).
    """

    name: str
    codec: Codec = field(default_factory=Codec)
    schema: Mapping[str, Any] = field(default_factory=dict)
    mutability: Mutability = Mutability.UPDATE
    plan_key: str | None = None
    stripe_param: str | None = None
    response_path: str | None = None
    default: Any = None
    required: bool = False
    unset: Any = None
    update_extra: Mapping[str, Any] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    replaces_when: Callable[[Any, Any], bool] | None = None
    expand: str | None = None  # what a list call must expand to answer it (`tiers`)
    description: str = ""

    @property
    def key(self) -> str:
        return self.plan_key or self.name

    @property
    def param(self) -> str:
        return self.stripe_param or self.name

    @property
    def response(self) -> str:
        return self.response_path or self.param

    def from_plan(self, document: Mapping[str, Any]) -> Any:
        """The state of this field in a plan-file object (its default when absent)."""
        if self.key not in document:
            return copy.deepcopy(self.default)  # a default list or mapping is never shared
        return self.codec.from_plan(document[self.key])

    def read(self, raw: Mapping[str, Any]) -> Any:
        """The state of this field in Stripe's answer (its default when Stripe has none)."""
        value = self.codec.from_stripe(raw, self.response)
        return copy.deepcopy(self.default) if value is None else value

    def written(self, state: Mapping[str, Any]) -> bool:
        """True when a plan file spells this field out (its value is not the default)."""
        return bool(state.get(self.name) != self.default)

    def schema_of(self) -> dict[str, Any]:
        out = self.codec.schema(self.schema)
        if self.description:
            out = {"description": self.description, **out}
        return out

    def problems(self, value: Any) -> Iterator[tuple[RelPath, str]]:
        """The limits this value breaks: the field's own checks, then its nested fields'."""
        for check in self.checks:
            yield from check(value)
        yield from self.codec.problems(value)

    def changes_object(self, before: Any, after: Any) -> bool:
        """True when going from `before` to `after` needs a new Stripe object."""
        if before == after:
            return False
        if self.replaces_when is not None:
            return bool(self.replaces_when(before, after))
        return self.mutability is not Mutability.UPDATE
