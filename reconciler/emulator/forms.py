"""Decoding Stripe's form-encoded parameters and checking them against a spec.

Stripe clients send nested values as `items[0][price]=x`, `expand[]=y` and
`metadata[k]=v`, on the query string for GET and in the body otherwise. This
module turns that into plain dicts and lists, then lets each endpoint declare
which keys it accepts so unknown ones fail the way Stripe fails them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from reconciler.emulator.errors import invalid_value, unknown_parameter

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")

# Spec leaves: SCALAR accepts a string; FREE accepts any nesting (e.g. metadata);
# NOT_MODELLED names a parameter Stripe takes that the emulator does not implement.
# A dict spec accepts only a hash, a one-element list spec only a list of hashes.
SCALAR = "scalar"
FREE = "free"
NOT_MODELLED = "not_modelled"
# METADATA: a hash of strings, or "" (clear it); STRINGS: a list of strings (a lone string
# counts as one item).
METADATA = "metadata"
STRINGS = "strings"
LEAVES = (SCALAR, FREE, NOT_MODELLED, METADATA, STRINGS)
Spec = dict[str, Any]
# Deeper keys than this are refused before they are decoded (Stripe documents no limit).
MAX_DEPTH = 32


def not_modelled(*names: str) -> Spec:
    """Spec entries for parameters Stripe accepts and the emulator refuses as unmodelled."""
    return dict.fromkeys(names, NOT_MODELLED)


def split_key(key: str) -> list[str]:
    """`a[b][0][]` -> ["a", "b", "0", ""]."""
    head, bracket, _ = key.partition("[")
    if not bracket:
        return [key]
    return [head, *_SEGMENT.findall(key[len(head) :])]


def form_pairs(text: str) -> list[tuple[str, str]]:
    """The decoded `name=value` pairs of a form, as `urllib.parse.parse_qsl(text,
    keep_blank_values=True)` gives them (a test holds the two equal), without its
    per-call overhead: this runs for every request."""
    pairs = []
    for pair in text.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value)
        pairs.append((name, value))
    return pairs


def parse_form(text: str) -> dict[str, Any]:
    """Decode a form body or query string into nested dicts and lists."""
    if not text:
        return {}
    root: dict[str, Any] = {}
    for key, value in form_pairs(text):
        segments = split_key(key)
        if not segments[0]:
            raise invalid_value(key[:100], f"Invalid parameter name: {key[:100]}")
        if len(segments) > MAX_DEPTH:
            raise invalid_value(
                segments[0], f"Invalid parameter: {segments[0]} is nested too deeply."
            )
        _insert(root, segments, value)
    # The top level stays a hash even when every name is a number (`0=a`).
    return {key: _listify(item) for key, item in root.items()}


def _insert(node: dict[str, Any], segments: list[str], value: str) -> None:
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if segment == "":
            # `[]` appends: a leaf takes the next index; a nested `[]` starts a new
            # element only when the current last element already has the next key.
            if last:
                segment = str(len(node))
            else:
                following = segments[position + 1]
                newest = node.get(str(len(node) - 1))
                reuse = isinstance(newest, dict) and following not in newest
                segment = str(len(node) - 1 if reuse else len(node))
        if last:
            node[segment] = value
            return
        child = node.get(segment)
        if not isinstance(child, dict):
            child = {}
            node[segment] = child
        node = child


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _listify(item) for key, item in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def check_params(params: dict[str, Any], spec: Spec, prefix: str = "") -> None:
    """Refuse the first key the spec lacks or does not model, and values of the wrong shape.

    Unknown keys get Stripe's `parameter_unknown`; a scalar where a hash or list is
    expected (`recurring=month`, `items=false`) and the reverse are 400s too.
    """
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if key not in spec:
            raise unknown_parameter(name)
        rule = spec[key]
        if rule == NOT_MODELLED:
            raise invalid_value(
                name,
                f"The emulator does not model the parameter {name}, which Stripe accepts "
                "(see docs/emulator.md).",
                "parameter_not_modelled",
            )
        if rule == FREE:
            continue
        if rule == METADATA:
            as_metadata(value, name)
        elif rule == STRINGS:
            as_str_list(value, name)
        elif rule == SCALAR:
            if not isinstance(value, str):
                raise invalid_value(name, f"Invalid string: {name}", "parameter_invalid_string")
        elif isinstance(rule, list):
            if not isinstance(value, list):
                raise invalid_value(name, f"Invalid array: {name}", "parameter_invalid_array")
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    raise invalid_value(
                        f"{name}[{index}]", "Invalid object", "parameter_invalid_object"
                    )
                check_params(item, rule[0], f"{name}[{index}]")
        else:
            if not isinstance(value, dict):
                raise invalid_value(name, "Invalid object", "parameter_invalid_object")
            check_params(value, rule, name)


def as_bool(value: Any, name: str) -> bool:
    """Stripe booleans arrive as the strings "true" and "false"."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise invalid_value(name, f"Invalid boolean: {value}", "parameter_invalid_boolean")


def as_int(value: Any, name: str) -> int:
    """A signed 64-bit integer (Stripe's integers); anything else is `parameter_invalid_integer`."""
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,19}", value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    shown = str(value) if len(str(value)) <= 40 else str(value)[:40] + "..."
    raise invalid_value(name, f"Invalid integer: {shown}", "parameter_invalid_integer")


def as_str_list(value: Any, name: str) -> list[str]:
    """A list parameter such as `expand[]`; a lone string counts as one item."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise invalid_value(name, f"Invalid array: {name}", "parameter_invalid_array")


def as_metadata(value: Any, name: str = "metadata") -> dict[str, str] | None:
    """Metadata dict; "" means "clear everything" and is returned as None."""
    if value == "":
        return None
    if not isinstance(value, dict):
        raise invalid_value(name, "Invalid object", "parameter_invalid_object")
    for key, item in value.items():
        if not isinstance(item, str):
            raise invalid_value(f"{name}[{key}]", "Invalid string: metadata values must be strings")
    return dict(value)


def merge_metadata(current: dict[str, str], update: Any) -> dict[str, str]:
    """Stripe's metadata update: keys merge, a key set to "" is removed, "" clears all."""
    parsed = as_metadata(update)
    if parsed is None:
        return {}
    merged = dict(current)
    for key, item in parsed.items():
        if item == "":
            merged.pop(key, None)
        else:
            merged[key] = item
    return merged
