"""Reading the entities to backfill: plain ids, CSV or JSON lines (pure, no I/O).

- plain ids: one entity id per line;
- CSV: a header row naming an `entity_id` column, optional `email`, `name` and `customer_id`
  columns (other columns are ignored);
- JSON lines: one object per line, `{"entity_id": "...", "email": "...", "name": "...",
  "customer_id": "..."}`.

`customer_id` names the Stripe customer the team's application already made for the entity
(adopted rather than duplicated: `reconciler.backfill.adopt`); one customer id given to two
entities is a problem of the later line.

`auto` picks JSON lines when the first non-blank line starts with `{`, CSV when it is a header
holding `entity_id`, plain ids otherwise. Blank lines are ignored everywhere. A malformed line
becomes an `InputProblem` with its line number and is skipped; a repeated entity id is counted
once (its first line wins).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

InputFormat = Literal["auto", "ids", "csv", "jsonl"]
FORMATS: tuple[InputFormat, ...] = ("auto", "ids", "csv", "jsonl")
# Stripe caps metadata values at 500 characters; the id is stored as `metadata.entityId`.
MAX_ID_LENGTH = 500
# Stripe's object ids are far shorter; a longer value is not one.
MAX_CUSTOMER_ID_LENGTH = 255


@dataclass(frozen=True)
class EntityInput:
    """One entity to backfill, with the details its new customer gets."""

    entity_id: str
    email: str | None = None
    name: str | None = None
    customer_id: str | None = None  # an existing customer made for it without the tool


@dataclass(frozen=True)
class InputProblem:
    """A malformed input line."""

    line: int
    message: str

    def format(self, source: str) -> str:
        return f"{source}:{self.line}: {self.message}"


@dataclass(frozen=True)
class ParsedInput:
    """Everything read from one input: the distinct entities in order, the problems, and how
    many lines repeated an entity already seen."""

    format: InputFormat
    entities: tuple[EntityInput, ...]
    problems: tuple[InputProblem, ...]
    duplicates: int


def _id_problem(value: str) -> str | None:
    if not value:
        return "empty entity id"
    if len(value) > MAX_ID_LENGTH:
        return f"entity id is longer than {MAX_ID_LENGTH} characters"
    if any(c.isspace() for c in value):
        return f"entity id {value!r} contains whitespace"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return f"entity id {value!r} contains a control character"
    return None


def _email_problem(value: str | None) -> str | None:
    if value is None:
        return None
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value):
        return f"invalid email {value!r}"
    return None


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def detect_format(text: str) -> InputFormat:
    """The format `auto` picks for `text` (see the module docstring)."""
    first = next((line.strip() for _, line in _lines(text)), "")
    if first.startswith("{"):
        return "jsonl"
    if "entity_id" in [cell.strip() for cell in first.split(",")]:
        return "csv"
    return "ids"


def _plain(text: str) -> Iterator[tuple[int, EntityInput | str]]:
    for number, line in _lines(text):
        value = line.strip()
        yield number, _id_problem(value) or EntityInput(value)


def _customer_problem(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_CUSTOMER_ID_LENGTH or any(c.isspace() or ord(c) < 32 for c in value):
        return f"invalid customer_id {value!r}"
    return None


def _entity(entity_id: Any, email: Any, name: Any, customer_id: Any = None) -> EntityInput | str:
    if not isinstance(entity_id, str):
        return "entity_id must be a string"
    for field, value in (("email", email), ("name", name), ("customer_id", customer_id)):
        if value is not None and not isinstance(value, str):
            return f"{field} must be a string"
    email, name, customer_id = (
        value.strip() or None if value is not None else None for value in (email, name, customer_id)
    )
    problem = (
        _id_problem(entity_id.strip()) or _email_problem(email) or _customer_problem(customer_id)
    )
    return problem or EntityInput(entity_id.strip(), email, name, customer_id)


def _jsonl(text: str) -> Iterator[tuple[int, EntityInput | str]]:
    for number, line in _lines(text):
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"invalid JSON: {exc.msg} at column {exc.colno}"
            continue
        if not isinstance(value, dict):
            yield number, "expected a JSON object"
        elif "entity_id" not in value:
            yield number, "missing entity_id"
        else:
            yield (
                number,
                _entity(
                    value["entity_id"],
                    value.get("email"),
                    value.get("name"),
                    value.get("customer_id"),
                ),
            )


def _csv(text: str) -> Iterator[tuple[int, EntityInput | str]]:
    numbered = list(_lines(text))
    if not numbered:
        return
    header_line, header = numbered[0]
    columns = [cell.strip() for cell in next(csv.reader([header]))]
    if "entity_id" not in columns:
        yield header_line, "CSV header has no entity_id column"
        return
    optional = ("email", "name", "customer_id")
    position = {name: columns.index(name) for name in ("entity_id", *optional) if name in columns}
    for number, line in numbered[1:]:
        try:
            cells = next(csv.reader([line], strict=True))
        except csv.Error as exc:
            yield number, f"invalid CSV: {exc}"
            continue
        if len(cells) != len(columns):
            yield number, f"expected {len(columns)} fields, found {len(cells)}"
            continue
        email, name, customer = (cells[position[n]] if n in position else None for n in optional)
        yield number, _entity(cells[position["entity_id"]], email, name, customer)


def parse_input(text: str, fmt: InputFormat = "auto") -> ParsedInput:
    """Read the entities of `text` in format `fmt` (see the module docstring)."""
    chosen = detect_format(text) if fmt == "auto" else fmt
    reader = {"ids": _plain, "csv": _csv, "jsonl": _jsonl}[chosen]
    entities: dict[str, EntityInput] = {}
    problems: list[InputProblem] = []
    duplicates = 0
    given: dict[str, tuple[str, int]] = {}  # customer id -> the entity and line giving it
    for number, result in reader(text):
        if isinstance(result, str):
            problems.append(InputProblem(number, result))
        elif result.entity_id in entities:
            duplicates += 1
        elif result.customer_id is not None and result.customer_id in given:
            first, line = given[result.customer_id]
            problems.append(
                InputProblem(
                    number,
                    f"customer_id {result.customer_id!r} is already given to entity {first!r} "
                    f"(line {line})",
                )
            )
        else:
            entities[result.entity_id] = result
            if result.customer_id is not None:
                given[result.customer_id] = (result.entity_id, number)
    return ParsedInput(chosen, tuple(entities.values()), tuple(problems), duplicates)
