"""List and search answers: Stripe's paging parameters and envelopes.

Lists are newest first with `limit` (1-100, default 10), `starting_after` and
`ending_before`; search answers carry an opaque `next_page` cursor instead.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import StripeError, invalid_value, missing, unknown_parameter
from reconciler.emulator.forms import SCALAR, STRINGS, as_int, as_str_list
from reconciler.emulator.search import Fields, compile_query
from reconciler.emulator.store import Collection, Predicate, StripeObject

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Handler
    from reconciler.emulator.state import Emulator

LIST_PARAMS: dict[str, Any] = {
    "limit": SCALAR,
    "starting_after": SCALAR,
    "ending_before": SCALAR,
    "expand": STRINGS,
}
SEARCH_PARAMS: dict[str, Any] = {
    "query": SCALAR,
    "limit": SCALAR,
    "page": SCALAR,
    "expand": STRINGS,
}
# Retrieve and delete endpoints take nothing but `expand`.
EXPAND_ONLY: dict[str, Any] = {"expand": STRINGS}


def parse_limit(params: dict[str, Any]) -> int:
    if "limit" not in params:
        return 10
    limit = as_int(params["limit"], "limit")
    if not 1 <= limit <= 100:
        raise invalid_value(
            "limit",
            f"Invalid limit: must be between 1 and 100 (got {limit})",
            "parameter_invalid_integer",
        )
    return limit


def retriever(collection: str) -> Handler:
    """The GET handler of one object by id (register it with EXPAND_ONLY): 404 if unknown."""

    def retrieve(emulator: Emulator, call: Call) -> Any:
        return emulator.require(collection, call.args[0])

    return retrieve


def fields_equal(params: dict[str, Any], names: tuple[str, ...]) -> Predicate:
    """Objects whose fields equal each of these filter parameters that was given."""
    wanted = {name: params[name] for name in names if name in params}
    return lambda obj: all(obj.get(name) == value for name, value in wanted.items())


def created_filter(params: dict[str, Any]) -> Predicate:
    """`created=<ts>` or `created[gt|gte|lt|lte]=<ts>`, as every Stripe list takes it."""
    given = params.get("created")
    if given is None:
        return lambda _: True
    if not isinstance(given, dict):
        moment = as_int(given, "created")
        return lambda obj: bool(obj.get("created") == moment)
    bounds = {}
    for name, value in given.items():
        if name not in _COMPARE:
            raise unknown_parameter(f"created[{name}]")
        bounds[name] = as_int(value, f"created[{name}]")
    return lambda obj: all(_COMPARE[op](int(obj.get("created", 0)), v) for op, v in bounds.items())


_COMPARE: dict[str, Any] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def list_answer(
    collection: Collection,
    params: dict[str, Any],
    url: str,
    noun: str,
    predicate: Predicate = lambda _: True,
) -> dict[str, Any]:
    """One page of `collection` as a Stripe list object (`created` filters every list)."""
    limit = parse_limit(params)
    created = created_filter(params)
    starting_after = params.get("starting_after") or None
    ending_before = params.get("ending_before") or None
    for name, cursor in (("starting_after", starting_after), ("ending_before", ending_before)):
        if cursor is not None and cursor not in collection:
            raise missing(noun, str(cursor), name)
    if starting_after and ending_before:
        raise StripeError(
            400,
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    data, has_more = collection.page(
        lambda obj: predicate(obj) and created(obj), limit, starting_after, ending_before
    )
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def computed_list_answer(
    found: list[StripeObject], params: dict[str, Any], url: str, noun: str
) -> dict[str, Any]:
    """One page of objects computed for this request (summaries, active entitlements)."""
    limit = parse_limit(params)
    ids = [obj["id"] for obj in found]
    start = 0
    for name, offset in (("starting_after", 1), ("ending_before", -limit)):
        cursor = params.get(name)
        if cursor:
            if cursor not in ids:
                raise missing(noun, str(cursor), name)
            start = max(0, ids.index(cursor) + offset)
    return {
        "object": "list",
        "data": found[start : start + limit],
        "has_more": start + limit < len(found),
        "url": url,
    }


def _page_offset(page: Any) -> int:
    if page in (None, ""):
        return 0
    try:
        return int(base64.urlsafe_b64decode(str(page).encode()).decode().removeprefix("offset:"))
    except ValueError as exc:
        raise invalid_value("page", f"Invalid page: {page}") from exc


def search_answer(
    collection: Collection,
    params: dict[str, Any],
    url: str,
    fields: Fields,
) -> dict[str, Any]:
    """Stripe's search result for `query` over `collection`, newest first."""
    query = params.get("query")
    if not isinstance(query, str) or not query.strip():
        raise StripeError(
            400, "Missing required param: query.", code="parameter_missing", param="query"
        )
    matches = compile_query(query, fields)
    limit = parse_limit(params)
    offset = _page_offset(params.get("page"))
    found: list[StripeObject] = [obj for obj in collection.newest_first() if matches(obj)]
    data = found[offset : offset + limit]
    has_more = offset + limit < len(found)
    token = f"offset:{offset + limit}".encode()
    answer: dict[str, Any] = {
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": base64.urlsafe_b64encode(token).decode() if has_more else None,
        "url": url,
    }
    if "total_count" in as_str_list(params.get("expand"), "expand"):
        answer["total_count"] = len(found)
    return answer
