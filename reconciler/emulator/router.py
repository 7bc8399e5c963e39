"""The `/v1` route table: which handler answers which method and path.

Resource modules register their handlers here; the server looks a request up,
builds a `Call` and runs the handler with the state lock held.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
    method: str
    label: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    """Routes written like `/v1/products/:id`; `:name` matches one path segment."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, label: str, handler: Handler) -> None:
        regex = re.sub(r":\w+", r"([^/]+)", label)
        self._routes.append(Route(method, label, re.compile(f"^{regex}$"), handler))

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
        customers,
        events,
        portal,
        prices,
        products,
        subscriptions,
    )

    router = Router()
    for module in (products, prices, customers, subscriptions, checkout, portal, events):
        module.register(router)
    return router
