"""The route table without a server: lookups through the per-resource index find what a
scan in registration order would, and listeners are handed on as registered."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.emulator.call import Call
from reconciler.emulator.router import Router
from reconciler.emulator.routes import ROUTER
from reconciler.emulator.state import Emulator


def _handler(emulator: Emulator, call: Call) -> Any:
    return None


def _table() -> Router:
    router = Router()
    router.add("GET", "/v1/products/search", _handler, params={}, sdk="A")
    router.add("GET", "/v1/products/:id", _handler, params={}, sdk="B")
    router.add("POST", "/v1/products/:id", _handler, params={}, sdk="C")
    router.add("GET", "/v1/checkout/sessions/:id/line_items", _handler, params={}, sdk="D")
    return router


@pytest.mark.parametrize(
    ("method", "path", "sdk", "args"),
    [
        ("GET", "/v1/products/search", "A", ()),
        ("GET", "/v1/products/prod_1", "B", ("prod_1",)),
        ("POST", "/v1/products/prod_1", "C", ("prod_1",)),
        ("GET", "/v1/checkout/sessions/cs_1/line_items", "D", ("cs_1",)),
    ],
)
def test_the_first_route_registered_for_the_path_answers(
    method: str, path: str, sdk: str, args: tuple[str, ...]
) -> None:
    matched = _table().match(method, path)
    assert matched is not None
    assert (matched[0].sdk, matched[1]) == (sdk, args)


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/v1/products/prod_1"), ("GET", "/v1/prices/p"), ("GET", "/v1"), ("GET", "")],
)
def test_no_route_and_its_label(method: str, path: str) -> None:
    assert _table().match(method, path) is None
    assert _table().label_for(method, path) == f"{method} {path}"


def test_a_route_must_name_its_resource() -> None:
    with pytest.raises(ValueError) as caught:
        Router().add("GET", "/v1/:kind/x", _handler, params={}, sdk="X")
    assert str(caught.value) == "/v1/:kind/x: a route starts with a fixed segment after /v1/"


def test_the_index_agrees_with_a_scan_of_every_route() -> None:
    """Every route of the emulator, looked up by an example path, is found as the first
    route in registration order whose pattern takes that path."""
    for route in ROUTER.routes:
        path = route.label.replace(":id", "x_1").replace(":feature", "prodft_1")
        scanned = next(
            r for r in ROUTER.routes if r.method == route.method and r.pattern.match(path)
        )
        matched = ROUTER.match(route.method, path)
        assert matched is not None and matched[0] is scanned, route.label


def _first(emulator: Emulator, event_type: str, obj: dict[str, Any], call: Call | None) -> None:
    pass


def _second(emulator: Emulator, event_type: str, obj: dict[str, Any], call: Call | None) -> None:
    pass


def test_listeners_are_kept_in_order() -> None:
    router = Router()
    router.on_event(_first)
    router.on_event(_second)
    assert router.listeners == (_first, _second)
