"""`expand[]`: replace ids in an answer with the objects they name.

Paths are dotted (`data.product`, `items.data.price.product`); lists along the
path apply the rest of it to each element. Only the dicts on the path are
copied, so stored objects are never changed by rendering.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import StripeError

if TYPE_CHECKING:
    from reconciler.emulator.state import Emulator


# Stripe refuses expansions deeper than four levels (`data.invoice.subscription.x`).
MAX_DEPTH = 4
# What an includable field shows when the object has none: tiers are a list, the rest maps.
_EMPTY: dict[str, Any] = {"tiers": []}


def expand(emulator: Emulator, answer: Any, paths: list[str]) -> Any:
    """`answer` with every path in `paths` expanded."""
    for index, path in enumerate(paths):
        if path.count(".") >= MAX_DEPTH:
            raise StripeError(
                400,
                f"You cannot expand more than {MAX_DEPTH} levels of a property. Property: {path}",
                param=f"expand[{index}]",
            )
        answer = _expand(emulator, answer, path.split("."), f"expand[{index}]", path)
    return answer


def _expand(emulator: Emulator, value: Any, segments: list[str], param: str, path: str) -> Any:
    if not segments:
        return value
    if isinstance(value, list):
        return [_expand(emulator, item, segments, param, path) for item in value]
    if not isinstance(value, dict):
        return value
    head, rest = segments[0], segments[1:]
    hidden = emulator.includable.get(f"{value.get('object')}.{head}")
    if hidden is not None and not rest:
        # Includable fields (a price's tiers, ...) are only shown when asked for by name.
        shown = dict(value)
        found = hidden.get(value["id"], _EMPTY.get(head))
        if found is not None:
            # One the object lacks (a coupon's `applies_to`) stays absent: optional, never
            # null, in the pinned version's types.
            shown[head] = copy.deepcopy(found)
        return shown
    if head == "total_count" and value.get("object") == "search_result":
        return value
    if head not in value:
        raise StripeError(400, f"This property cannot be expanded ({path}).", param=param)
    child = value[head]
    if isinstance(child, str):
        found = emulator.lookup(child)
        if found is None:
            raise StripeError(400, f"This property cannot be expanded ({path}).", param=param)
        child = found
    shown = dict(value)
    shown[head] = _expand(emulator, child, rest, param, path)
    return shown
