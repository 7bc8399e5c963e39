"""The `/v1` route table: which handler answers which method and path.

Resource modules register each handler with the parameters it accepts (a
`forms` spec) and the name of the installed SDK's params type for that
endpoint, and may listen to the events the emulator raises; the server looks a
request up, builds a `Call`, checks its parameters against the spec and runs the
handler with the state lock held. The table is filled from above: `routes`
builds it from every resource, so this module imports none of them.
`tests/emulator/test_emulator_sdk_params.py` compares every spec with its SDK type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.emulator.call import Call
from reconciler.emulator.forms import Spec

if TYPE_CHECKING:
    from reconciler.emulator.state import Emulator, EventListener

__all__ = ["Call", "Handler", "Route", "Router"]


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
        self._listeners: list[EventListener] = []
        # (method, the resource segment after `/v1/`) -> its routes in registration order,
        # so a request tries a handful of patterns rather than all of them.
        self._index: dict[tuple[str, str], list[Route]] = {}

    def add(self, method: str, label: str, handler: Handler, *, params: Spec, sdk: str) -> None:
        """Register `handler` for `method label`; requests are checked against `params` first."""
        regex = re.sub(r":\w+", r"([^/]+)", label)
        route = Route(method, label, re.compile(f"^{regex}$"), handler, params, sdk)
        segment = _resource_segment(label)
        if segment.startswith(":"):
            raise ValueError(f"{label}: a route starts with a fixed segment after /v1/")
        self._routes.append(route)
        self._index.setdefault((method, segment), []).append(route)

    def on_event(self, listener: EventListener) -> None:
        """Call `listener` after every event the emulator raises (see `events.emit`)."""
        self._listeners.append(listener)

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(self._routes)

    @property
    def listeners(self) -> tuple[EventListener, ...]:
        return tuple(self._listeners)

    def match(self, method: str, path: str) -> tuple[Route, tuple[str, ...]] | None:
        """The first route registered for `method` whose pattern takes `path`, and its
        arguments (the `:name` segments)."""
        for route in self._index.get((method, _resource_segment(path)), ()):
            found = route.pattern.match(path)
            if found:
                return route, found.groups()
        return None

    def label_for(self, method: str, path: str) -> str:
        """`GET /v1/products/:id` for counters; unknown paths keep their own text."""
        matched = self.match(method, path)
        return f"{method} {matched[0].label if matched else path}"


def _resource_segment(path: str) -> str:
    """`customers` of `/v1/customers/cus_1/...`: the segment every route names literally."""
    parts = path.split("/", 3)
    return parts[2] if len(parts) > 2 else ""
