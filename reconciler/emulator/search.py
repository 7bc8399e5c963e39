"""Stripe's search query language, the subset billing code uses.

Clauses look like `field:'value'`, `metadata['key']:'value'`, `name~'sub'` or
`-field:'value'`, joined by `AND` (or whitespace) or by `OR`, never both.
Each resource names its searchable fields and how to read them off an object.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reconciler.emulator.errors import StripeError

Fields = dict[str, Callable[[dict[str, Any]], Any]]
Matcher = Callable[[dict[str, Any]], bool]

_CLAUSE = re.compile(
    r"""\s*(?P<negate>-)?(?P<field>[a-z_]+)
        (?:\[(?P<quote>['"])(?P<key>[^'"]*)(?P=quote)\])?
        (?P<op>:|~)
        (?:(?P<q>['"])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)|(?P<bare>[^\s'"]+))\s*""",
    re.VERBOSE,
)


def _invalid(query: str, detail: str) -> StripeError:
    return StripeError(
        400,
        f"We were unable to parse your search query. {detail} Query: {query}",
        param="query",
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _clause(
    field: str, key: str | None, op: str, value: str, negate: bool, fields: Fields
) -> Matcher:
    read: Callable[[dict[str, Any]], Any]
    if field == "metadata":
        if key is None:
            raise StripeError(
                400, "metadata must be searched with a key: metadata['k']", param="query"
            )

        read = lambda obj: (obj.get("metadata") or {}).get(key)  # noqa: E731
    elif field in fields:
        read = fields[field]
    else:
        raise StripeError(
            400,
            f"Field `{field}` is an unsupported search field for resource. "
            f"See https://stripe.com/docs/search#query-fields for a list of supported fields.",
            param="query",
        )

    def matches(obj: dict[str, Any]) -> bool:
        actual = _text(read(obj))
        found = value.lower() in actual.lower() if op == "~" else actual == value
        return found != negate

    return matches


def compile_query(query: str, fields: Fields) -> Matcher:
    """Turn a query string into a predicate over objects; bad syntax -> 400."""
    clauses: list[Matcher] = []
    joiners: set[str] = set()
    position = 0
    while position < len(query):
        found = _CLAUSE.match(query, position)
        if found is None:
            raise _invalid(query, f"Unexpected text at position {position}.")
        value = found.group("value")
        if value is None:
            value = found.group("bare")
        clauses.append(
            _clause(
                found.group("field"),
                found.group("key"),
                found.group("op"),
                value.replace("\\'", "'").replace('\\"', '"'),
                found.group("negate") is not None,
                fields,
            )
        )
        position = found.end()
        if position < len(query):
            word = re.match(r"(AND|OR)\s+", query[position:])
            if word:
                joiners.add(word.group(1))
                position += word.end()
            elif query[position - 1].isspace():
                joiners.add("AND")
            else:
                raise _invalid(query, f"Unexpected text at position {position}.")
    if len(joiners) > 1:
        raise _invalid(query, "Queries cannot mix AND and OR.")
    if "OR" in joiners:
        return lambda obj: any(clause(obj) for clause in clauses)
    return lambda obj: all(clause(obj) for clause in clauses)
