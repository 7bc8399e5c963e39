"""Fault injection and request counters for `/v1` traffic.

Tests turn these knobs through `/_emulator/faults` to rehearse what real Stripe
does under load: 429s past a rate, random 500s, slow answers, and webhook
deliveries that are lost, repeated or out of order.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

KNOWN_SETTINGS = {
    "rate_limit",
    "error_rate",
    "latency_ms",
    "webhook_drop_rate",
    "webhook_duplicate",
    "webhook_shuffle",
    "fail_requests",
}


@dataclass
class FailRule:
    """Deterministic failures: after `after` matching requests pass, `count` fail."""

    method: str | None
    path_prefix: str
    after: int
    count: int
    status: int
    seen: int = 0

    def strike(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        if not path.startswith(self.path_prefix):
            return False
        self.seen += 1
        return self.after < self.seen <= self.after + self.count


@dataclass
class Faults:
    """Current fault settings; mutated only through `update` and `clear`."""

    rate_limit: float = 0.0
    error_rate: float = 0.0
    latency_ms: float = 0.0
    webhook_drop_rate: float = 0.0
    webhook_duplicate: bool = False
    webhook_shuffle: bool = False
    fail_requests: list[FailRule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _admitted: deque[float] = field(default_factory=deque, repr=False)

    def update(self, settings: dict[str, Any]) -> None:
        """Apply the keys present; missing keys keep their values; unknown keys are refused."""
        unknown = sorted(set(settings) - KNOWN_SETTINGS)
        if unknown:
            # A typo would otherwise leave a test running without the fault it asked for.
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        with self._lock:
            for name in ("rate_limit", "error_rate", "latency_ms", "webhook_drop_rate"):
                if name in settings:
                    setattr(self, name, float(settings[name]))
            for name in ("webhook_duplicate", "webhook_shuffle"):
                if name in settings:
                    setattr(self, name, bool(settings[name]))
            if "fail_requests" in settings:
                self.fail_requests = [
                    FailRule(
                        method=rule.get("method"),
                        path_prefix=str(rule.get("path_prefix", "/")),
                        after=int(rule.get("after", 0)),
                        count=int(rule.get("count", 1)),
                        status=int(rule.get("status", 500)),
                    )
                    for rule in settings["fail_requests"]
                ]

    def clear(self) -> None:
        with self._lock:
            self.rate_limit = self.error_rate = self.latency_ms = 0.0
            self.webhook_drop_rate = 0.0
            self.webhook_duplicate = self.webhook_shuffle = False
            self.fail_requests = []
            self._admitted.clear()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rate_limit": self.rate_limit,
                "error_rate": self.error_rate,
                "latency_ms": self.latency_ms,
                "webhook_drop_rate": self.webhook_drop_rate,
                "webhook_duplicate": self.webhook_duplicate,
                "webhook_shuffle": self.webhook_shuffle,
                "fail_requests": [
                    {
                        "method": rule.method,
                        "path_prefix": rule.path_prefix,
                        "after": rule.after,
                        "count": rule.count,
                        "status": rule.status,
                        "seen": rule.seen,
                    }
                    for rule in self.fail_requests
                ],
            }

    def over_rate_limit(self, now: float) -> bool:
        """Sliding one-second window over admitted requests."""
        with self._lock:
            if self.rate_limit <= 0:
                return False
            while self._admitted and now - self._admitted[0] >= 1.0:
                self._admitted.popleft()
            if len(self._admitted) >= self.rate_limit:
                return True
            self._admitted.append(now)
            return False

    def injected_status(self, method: str, path: str) -> int | None:
        """The status of an injected failure for this request, or None to serve it."""
        with self._lock:
            for rule in self.fail_requests:
                if rule.strike(method, path):
                    return rule.status
            if self.error_rate > 0 and random.random() < self.error_rate:
                return 500
            return None

    def delay(self) -> None:
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)


class Counters:
    """What `/_emulator/counters` reports about `/v1` requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_route: dict[str, int] = {}
            self.rate_limited = 0
            self.errors_injected = 0
            self.max_in_any_second = 0
            self._recent: deque[float] = deque()

    def record(self, route: str, now: float) -> None:
        with self._lock:
            self.total += 1
            self.by_route[route] = self.by_route.get(route, 0) + 1
            self._recent.append(now)
            while now - self._recent[0] >= 1.0:
                self._recent.popleft()
            self.max_in_any_second = max(self.max_in_any_second, len(self._recent))

    def add_rate_limited(self) -> None:
        with self._lock:
            self.rate_limited += 1

    def add_error_injected(self) -> None:
        with self._lock:
            self.errors_injected += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "by_route": dict(sorted(self.by_route.items())),
                "rate_limited": self.rate_limited,
                "errors_injected": self.errors_injected,
                "max_in_any_second": self.max_in_any_second,
            }
