"""Fault injection and request counters for `/v1` traffic.

Tests turn these knobs through `/_emulator/faults` to rehearse what real Stripe
does under load: 429s past a rate, random 500s, slow answers, and webhook
deliveries that are lost, repeated or out of order.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

# Where an injected error strikes a /v1 request (docs: api/idempotent_requests):
# "before" the endpoint runs (nothing saved for an Idempotency-Key, as for a 429);
# "during": execution began and failed, nothing written, the 500 saved for the key;
# "after": the write happened, the answer is a 500 saved and replayed for the key;
# "drop": the write happened and was saved, then the connection closes without an answer.
POINTS = ("before", "during", "after", "drop")
_RATES = ("error_rate", "webhook_drop_rate")
_NUMBERS = {"rate_limit": 1e6, "endpoint_rate_limit": 1e6, "latency_ms": 60_000.0}
_FLAGS = ("webhook_duplicate", "webhook_shuffle")
KNOWN_SETTINGS = {
    *_RATES,
    *_NUMBERS,
    *_FLAGS,
    "error_point",
    "error_methods",
    "fail_requests",
    "seed",
}


def _number(name: str, value: Any, high: float) -> float:
    """A finite number in [0, high]; booleans and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, not {json.dumps(value)}")
    if not 0 <= value <= high:  # also refuses NaN
        raise ValueError(f"{name} must be between 0 and {high:g}, not {value}")
    return float(value)


def _integer(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, not {json.dumps(value)}")
    return value


def _point(name: str, value: Any) -> str:
    if value not in POINTS:
        raise ValueError(f"{name} must be one of {', '.join(POINTS)}, not {json.dumps(value)}")
    return str(value)


def _methods(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        raise ValueError(
            f"error_methods must be a list of methods or null, not {json.dumps(value)}"
        )
    return tuple(method.upper() for method in value)


@dataclass(frozen=True)
class Injection:
    """An injected failure for one request: its status and where it strikes."""

    status: int
    point: str


@dataclass
class FailRule:
    """Deterministic failures: after `after` matching requests pass, `count` fail."""

    method: str | None
    path_prefix: str
    after: int
    count: int
    status: int
    point: str = "before"
    seen: int = 0

    @classmethod
    def parse(cls, rule: Any) -> FailRule:
        if not isinstance(rule, dict):
            raise ValueError(f"each fail_requests rule must be an object, not {json.dumps(rule)}")
        unknown = sorted(set(rule) - {"method", "path_prefix", "after", "count", "status", "point"})
        if unknown:
            raise ValueError(f"unknown fail_requests keys: {', '.join(unknown)}")
        method, prefix = rule.get("method"), rule.get("path_prefix", "/")
        if method is not None and not isinstance(method, str):
            raise ValueError("fail_requests method must be a string")
        if not isinstance(prefix, str):
            raise ValueError("fail_requests path_prefix must be a string")
        return cls(
            method=method.upper() if method else None,
            path_prefix=prefix,
            after=_integer("fail_requests after", rule.get("after", 0), 0, 10**9),
            count=_integer("fail_requests count", rule.get("count", 1), 0, 10**9),
            status=_integer("fail_requests status", rule.get("status", 500), 400, 599),
            point=_point("fail_requests point", rule.get("point", "before")),
        )

    def strike(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        if not path.startswith(self.path_prefix):
            return False
        self.seen += 1
        return self.after < self.seen <= self.after + self.count

    def describe(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path_prefix": self.path_prefix,
            "after": self.after,
            "count": self.count,
            "status": self.status,
            "point": self.point,
            "seen": self.seen,
        }


def _validated(settings: dict[str, Any]) -> dict[str, Any]:
    """Every setting checked and converted, or ValueError naming the first bad one."""
    unknown = sorted(set(settings) - KNOWN_SETTINGS)
    if unknown:
        # A typo would otherwise leave a test running without the fault it asked for.
        raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
    clean: dict[str, Any] = {}
    for name, value in settings.items():
        if name in _RATES:
            clean[name] = _number(name, value, 1.0)
        elif name in _NUMBERS:
            clean[name] = _number(name, value, _NUMBERS[name])
        elif name in _FLAGS:
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false, not {json.dumps(value)}")
            clean[name] = value
        elif name == "error_point":
            clean[name] = _point(name, value)
        elif name == "error_methods":
            clean[name] = _methods(value)
        elif name == "seed":
            # Seeds the draws of error_rate, so a test's faults strike the same requests on
            # every run (with the requests in the same order).
            clean[name] = _integer(name, value, 0, 2**63 - 1)
        else:
            if not isinstance(value, list):
                raise ValueError("fail_requests must be a list of rules")
            clean[name] = [FailRule.parse(rule) for rule in value]
    return clean


class _Window:
    """Admissions in the last second, for one rate limit."""

    def __init__(self) -> None:
        self.admitted: deque[float] = deque()

    def full(self, now: float, limit: float) -> bool:
        while self.admitted and now - self.admitted[0] >= 1.0:
            self.admitted.popleft()
        return len(self.admitted) >= limit


@dataclass
class Faults:
    """Current fault settings; mutated only through `update` and `clear`."""

    rate_limit: float = 0.0
    endpoint_rate_limit: float = 0.0
    error_rate: float = 0.0
    error_point: str = "before"
    error_methods: tuple[str, ...] | None = None
    latency_ms: float = 0.0
    webhook_drop_rate: float = 0.0
    webhook_duplicate: bool = False
    webhook_shuffle: bool = False
    fail_requests: list[FailRule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _global: _Window = field(default_factory=_Window, repr=False)
    _endpoints: dict[str, _Window] = field(default_factory=dict, repr=False)
    _draws: random.Random = field(default_factory=random.Random, repr=False)
    seed: int | None = None

    def update(self, settings: dict[str, Any]) -> None:
        """Apply the keys present (all checked first); missing keys keep their values."""
        clean = _validated(settings)
        with self._lock:
            for name, value in clean.items():
                setattr(self, name, value)
            if "seed" in clean:
                self._draws = random.Random(clean["seed"])

    def clear(self) -> None:
        with self._lock:
            self.rate_limit = self.endpoint_rate_limit = 0.0
            self.error_rate = self.latency_ms = self.webhook_drop_rate = 0.0
            self.error_point, self.error_methods = "before", None
            self.webhook_duplicate = self.webhook_shuffle = False
            self.fail_requests = []
            self.seed, self._draws = None, random.Random()
            self._global = _Window()
            self._endpoints = {}

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rate_limit": self.rate_limit,
                "endpoint_rate_limit": self.endpoint_rate_limit,
                "error_rate": self.error_rate,
                "error_point": self.error_point,
                "error_methods": list(self.error_methods) if self.error_methods else None,
                "latency_ms": self.latency_ms,
                "webhook_drop_rate": self.webhook_drop_rate,
                "webhook_duplicate": self.webhook_duplicate,
                "webhook_shuffle": self.webhook_shuffle,
                "fail_requests": [rule.describe() for rule in self.fail_requests],
                "seed": self.seed,
            }

    def over_rate_limit(self, now: float, endpoint: str) -> bool:
        """Sliding one-second windows: all of /v1 (`rate_limit`) and each endpoint on its
        own (`endpoint_rate_limit`); a request refused by either is not admitted to both."""
        if self.rate_limit <= 0 and self.endpoint_rate_limit <= 0:
            return False  # no limit set: nothing to count (read without the lock: a knob)
        with self._lock:
            if self.rate_limit > 0 and self._global.full(now, self.rate_limit):
                return True
            window = None
            if self.endpoint_rate_limit > 0:
                window = self._endpoints.setdefault(endpoint, _Window())
                if window.full(now, self.endpoint_rate_limit):
                    return True
            if self.rate_limit > 0:
                self._global.admitted.append(now)
            if window is not None:
                window.admitted.append(now)
            return False

    def injected(self, method: str, path: str) -> Injection | None:
        """The failure injected into this request, or None to serve it."""
        if not self.fail_requests and self.error_rate <= 0:
            return None  # nothing to inject (read without the lock: a knob)
        with self._lock:
            for rule in self.fail_requests:
                if rule.strike(method, path):
                    return Injection(rule.status, rule.point)
            methods = self.error_methods
            chosen = methods is None or method in methods
            if chosen and self.error_rate > 0 and self._draws.random() < self.error_rate:
                return Injection(500, self.error_point)
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
