"""The `/v1` route table: which handler answers which method and path.

Resource modules register each handler with the parameters it accepts (a
`forms` spec) and the name of the installed SDK's params type for that
endpoint; the server looks a request up, builds a `Call`, checks its
parameters against the spec and runs the handler with the state lock held.
`tests/emulator/test_emulator_sdk_params.py` compares every spec with its SDK type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.emulator.forms import Spec

if TYPE_CHECKING:
    from reconciler.emulator.state import Emulator


@dataclass(frozen=True)
class Call:
    """One API request as a handler sees it."""

    method: str
    path: str
    params: dict[str, Any]
    args: tuple[str, ...]
    request_id: str
    idempotency_key: str | None
    api_version: str | None

    @property
    def request_ref(self) -> dict[str, Any]:
        """The `request` field of events this call causes."""
        return {"id": self.request_id, "idempotency_key": self.idempotency_key}


Handler = Callable[["Emulator", Call], Any]


@dataclass(frozen=True)
class Route:
    """One endpoint: its handler, accepted parameters and SDK params type.

    `sdk` names the class in `stripe.params` (`"PriceCreateParams"`,
    `"checkout.SessionCreateParams"`) whose keys `params` must declare.
    """

    method: str
    label: str
    pattern: re.Pattern[str]
    handler: Handler
    params: Spec
    sdk: str


class Router:
    """Routes written like `/v1/products/:id`; `:name` matches one path segment."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, label: str, handler: Handler, *, params: Spec, sdk: str) -> None:
        """Register `handler` for `method label`; requests are checked against `params` first."""
        regex = re.sub(r":\w+", r"([^/]+)", label)
        route = Route(method, label, re.compile(f"^{regex}$"), handler, params, sdk)
        self._routes.append(route)

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(self._routes)

    def match(self, method: str, path: str) -> tuple[Route, tuple[str, ...]] | None:
        for route in self._routes:
            if route.method == method:
                found = route.pattern.match(path)
                if found:
                    return route, found.groups()
        return None

    def label_for(self, method: str, path: str) -> str:
        """`GET /v1/products/:id` for counters; unknown paths keep their own text."""
        matched = self.match(method, path)
        return f"{method} {matched[0].label if matched else path}"


def build_router() -> Router:
    """Every resource's routes, in one table."""
    from reconciler.emulator import (
        checkout,
        coupons,
        customers,
        entitlements,
        events,
        meter_events,
        meters,
        portal,
        portal_configurations,
        prices,
        products,
        promotion_codes,
        subscriptions,
    )

    router = Router()
    modules = (
        products,
        prices,
        customers,
        subscriptions,
        checkout,
        portal,
        portal_configurations,
        events,
        meters,
        meter_events,
        entitlements,
        coupons,
        promotion_codes,
    )
    for module in modules:
        module.register(router)
    return router
