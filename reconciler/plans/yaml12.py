"""The YAML 1.2 core schema: what a scalar means, for reading and for writing plan files.

PyYAML resolves plain scalars by YAML 1.1 rules, where `Off` is false, `9:30` is 570 and
`2024-01-01` a date. Editors (yaml-language-server) and YAML 1.2 read those as text. These
are the 1.2 core schema's rules (yaml.org/spec/1.2.2, 10.3.2): null, booleans in three
spellings, decimal, `0o` octal and `0x` hex integers, and floats; everything else is text.
Integers are bounded, so a 5,000-digit number is a located error rather than a crash.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"

_NULL = re.compile(r"null|Null|NULL|~|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
SPECIAL = (".inf", ".nan")
# Stripe's integers are 64-bit; nothing in a plan file needs more.
INT_MAX = 2**63 - 1


class ScalarError(ValueError):
    """A scalar that names a type it cannot be (`!!int abc`) or an integer out of range."""


def resolve(text: str) -> str:
    """The tag the core schema gives a plain (unquoted, untagged) scalar."""
    if _NULL.fullmatch(text):
        return NULL
    if text in _BOOL:
        return BOOL
    if _INT.fullmatch(text):
        return INT
    if _FLOAT.fullmatch(text):
        return FLOAT
    return STR


def construct(tag: str, text: str) -> Any:
    """The Python value of a scalar with a resolved or explicit core-schema tag."""
    if tag == STR:
        return text
    if tag == NULL and _NULL.fullmatch(text):
        return None
    if tag == BOOL and text in _BOOL:
        return _BOOL[text]
    if tag == INT and _INT.fullmatch(text):
        return _integer(text)
    if tag == FLOAT and _FLOAT.fullmatch(text):
        # `.inf`, `-.Inf`, `.NaN`: Python spells them without the dot.
        return float(text.replace(".", "", 1) if text.lower().lstrip("+-") in SPECIAL else text)
    if tag in (NULL, BOOL, INT, FLOAT):
        raise ScalarError(f"{text!r} is not a valid !!{tag.rsplit(':', 1)[1]}")
    raise ScalarError(f"unsupported tag {tag!r} (plan files use plain YAML 1.2 values)")


def _integer(text: str) -> int:
    digits = text.lstrip("+-")
    if digits.startswith(("0o", "0x")):
        digits = digits[2:]
    # Checked before converting: int() of thousands of digits is slow or refused outright.
    if len(digits) > 19:
        raise ScalarError(f"integer out of range: {len(digits)} digits (at most {INT_MAX})")
    if text.startswith("0o"):
        value = int(digits, 8)
    elif text.startswith("0x"):
        value = int(digits, 16)
    else:
        value = int(text)
    if abs(value) > INT_MAX:
        raise ScalarError(f"integer out of range: {text} (at most {INT_MAX})")
    return value


class PlanDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting every text that YAML 1.2 *or* 1.1 would read as
    something else (`"1e5"`, `"0o17"` and `"Off"` alike), so old and new readers agree."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            core = resolve(value)
            if core != STR:
                return core
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
