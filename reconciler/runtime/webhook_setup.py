"""Whether the account's webhook endpoints send what the runtime needs (pure, no I/O).

The cached subscriptions stay true only while Stripe tells the runtime about every change:
an endpoint at the URL `serve` (or the application's webhook view) answers must be enabled and
send the three `customer.subscription.*` events that mark a subscription made, changed or
ended. The other events the runtime acts on (`webhooks.SYNC_EVENTS`: Checkout, invoices,
payments, pauses) and the catalog's `product.*` / `price.*` make it converge sooner: they
are recommended, not required (without the catalog's, a changed price reaches the runtime when
the shared catalog copy is next read from Stripe, once it is 15 minutes old:
`catalog_cache.MAX_AGE_SECONDS`). An endpoint sending every event (`*`) sends them all. A
subscription changed while no endpoint sends these events stays stale in the cache until
`sync` rereads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.runtime.webhooks import SYNC_EVENTS

REQUIRED_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
CATALOG_EVENTS = tuple(
    f"{kind}.{change}"
    for kind in ("product", "price")
    for change in ("created", "updated", "deleted")
)
RECOMMENDED_EVENTS = tuple(sorted((SYNC_EVENTS | set(CATALOG_EVENTS)) - set(REQUIRED_EVENTS)))


@dataclass(frozen=True)
class EndpointCheck:
    """One webhook endpoint, and what it leaves out of what the runtime needs."""

    id: str
    url: str
    status: str
    missing: tuple[str, ...]  # required events it does not send
    not_sent: tuple[str, ...]  # recommended events it does not send

    @property
    def serves(self) -> bool:
        """It delivers every required event."""
        return self.status == "enabled" and not self.missing

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "status": self.status,
            "serves": self.serves,
            "missing_required": list(self.missing),
            "missing_recommended": list(self.not_sent),
        }


@dataclass(frozen=True)
class WebhookCheck:
    """The endpoints looked at (those at `url`, or all), and whether one serves the runtime."""

    url: str | None
    endpoints: tuple[EndpointCheck, ...]

    @property
    def ok(self) -> bool:
        return any(e.serves for e in self.endpoints)

    def problem(self) -> str | None:
        """Why no endpoint serves the runtime (None when one does)."""
        if self.ok:
            return None
        where = f"at {self.url}" if self.url else "in this account"
        if not self.endpoints:
            return f"no webhook endpoint {where}: the cached subscriptions would never change"
        return (
            f"no enabled webhook endpoint {where} sends {', '.join(REQUIRED_EVENTS)}: a "
            "subscription changed in Stripe would stay stale in the cache until `sync`"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "url": self.url,
            "problem": self.problem(),
            "required_events": list(REQUIRED_EVENTS),
            "recommended_events": list(RECOMMENDED_EVENTS),
            "endpoints": [e.as_dict() for e in self.endpoints],
        }


def _not_sent(enabled: set[str], wanted: Sequence[str]) -> tuple[str, ...]:
    if "*" in enabled:
        return ()
    return tuple(event for event in wanted if event not in enabled)


def check_endpoints(endpoints: Sequence[Mapping[str, Any]], url: str | None = None) -> WebhookCheck:
    """Assess the account's webhook endpoints (Stripe's answers, as dicts) for the runtime:
    those at `url` (compared without a trailing slash), or every one when `url` is None."""
    wanted = url.rstrip("/") if url else None
    checks: list[EndpointCheck] = []
    for endpoint in endpoints:
        address = str(endpoint.get("url") or "")
        if wanted is not None and address.rstrip("/") != wanted:
            continue
        enabled = set(endpoint.get("enabled_events") or ())
        checks.append(
            EndpointCheck(
                id=str(endpoint["id"]),
                url=address,
                status=str(endpoint.get("status") or "enabled"),
                missing=_not_sent(enabled, REQUIRED_EVENTS),
                not_sent=_not_sent(enabled, RECOMMENDED_EVENTS),
            )
        )
    return WebhookCheck(url, tuple(sorted(checks, key=lambda c: (c.url, c.id))))
