"""Every endpoint the emulator serves declares exactly the parameters the installed SDK types.

The SDK's `stripe/params/` TypedDicts are generated from Stripe's OpenAPI spec for
the pinned API version, so a parameter Stripe removed (`payment_method_types` on
Checkout Sessions in 2026-09-30) or added shows up here as soon as the SDK moves.
A parameter the emulator does not implement is still declared, as NOT_MODELLED.
"""

from __future__ import annotations

import importlib
import re
import sys
from typing import Any

import pytest
from stripe._request_options import RequestOptions

from reconciler.emulator.forms import FREE, LEAVES, NOT_MODELLED, SCALAR, Spec
from reconciler.emulator.router import Route
from reconciler.emulator.routes import build_router

_OPTIONS = RequestOptions.__required_keys__ | RequestOptions.__optional_keys__
_ROUTES = build_router().routes


def sdk_type(name: str) -> Any:
    """`"checkout.SessionCreateParams"` -> the class in `stripe.params.checkout`."""
    package, _, cls = name.rpartition(".")
    module = importlib.import_module("stripe.params" + (f".{package}" if package else ""))
    return getattr(module, cls)


def sdk_keys(typed: Any) -> set[str]:
    return set(typed.__required_keys__ | typed.__optional_keys__) - _OPTIONS


def nested_type(typed: Any, key: str) -> Any:
    """The TypedDict a hash (or list of hashes) parameter holds, or None for a scalar."""
    annotation = typed.__annotations__[key]
    text = getattr(annotation, "__forward_arg__", None) or repr(annotation)
    module = sys.modules[typed.__module__]
    names = {
        name
        for name in re.findall(r"[A-Za-z_]\w*", text)
        if hasattr(getattr(module, name, None), "__required_keys__")
    }
    return getattr(module, names.pop()) if len(names) == 1 else None


def mismatches(spec: Spec, typed: Any, where: str) -> list[str]:
    """Differences between an emulator spec and an SDK params type, one line each."""
    found: list[str] = []
    declared, expected = set(spec), sdk_keys(typed)
    found += [f"{where}: accepts `{key}`, which the SDK lacks" for key in declared - expected]
    found += [f"{where}: does not declare `{key}`" for key in sorted(expected - declared)]
    for key in sorted(declared & expected):
        rule = spec[key]
        if rule in LEAVES:
            continue
        inner = nested_type(typed, key)
        if inner is None:
            found.append(f"{where}: declares `{key}` as a hash, the SDK as a scalar")
            continue
        nested = rule[0] if isinstance(rule, list) else rule
        found += mismatches(nested, inner, f"{where}[{key}]")
    return found


@pytest.mark.parametrize("route", _ROUTES, ids=[f"{r.method} {r.label}" for r in _ROUTES])
def test_route_declares_exactly_the_sdk_parameters(route: Route) -> None:
    assert mismatches(route.params, sdk_type(route.sdk), route.label) == []


def test_the_comparison_sees_removed_added_and_nested_parameters() -> None:
    create = sdk_type("PriceCreateParams")
    spec: Spec = {key: NOT_MODELLED for key in sdk_keys(create) - {"nickname"}}
    spec["recurring"] = {"interval": SCALAR, "aggregate_usage": SCALAR}
    spec["payment_method_types"] = FREE
    assert sorted(mismatches(spec, create, "/v1/prices")) == [
        "/v1/prices: accepts `payment_method_types`, which the SDK lacks",
        "/v1/prices: does not declare `nickname`",
        "/v1/prices[recurring]: accepts `aggregate_usage`, which the SDK lacks",
        "/v1/prices[recurring]: does not declare `interval_count`",
        "/v1/prices[recurring]: does not declare `meter`",
        "/v1/prices[recurring]: does not declare `trial_period_days`",
        "/v1/prices[recurring]: does not declare `usage_type`",
    ]
