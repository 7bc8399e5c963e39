"""One API request as a handler sees it: the ground floor's shared request value.

It imports nothing of the emulator, so the state, the router, the listing helpers and
every resource can name it without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
