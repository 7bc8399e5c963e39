"""What a bulk run did: a thread-safe tally while it runs, a frozen `Report` at the end, as
JSON (`--report FILE`, `--format json`) or as text for people."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.backfill.inputs import InputProblem

REPORT_VERSION = 1
# Adoptions listed one per line in the text summary; the JSON report lists every one.
SHOWN_ADOPTIONS = 20


@dataclass(frozen=True)
class Failure:
    """One item that finally failed (after retries), and why."""

    key: str
    reason: str


@dataclass(frozen=True)
class Adoption:
    """An existing customer taken over for an entity, and how it was found (`customer_id`,
    `metadata.<key>`, `email`)."""

    entity_id: str
    customer_id: str
    by: str


class Tally:
    """Outcome counts and failures, updated by worker threads."""

    def __init__(self, outcomes: Sequence[str]) -> None:
        self._lock = threading.Lock()
        self._counts = {name: 0 for name in outcomes}
        self._failures: list[Failure] = []

    def add(self, outcome: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[outcome] = self._counts.get(outcome, 0) + amount

    def fail(self, key: str, reason: str) -> None:
        with self._lock:
            self._counts["failed"] = self._counts.get("failed", 0) + 1
            self._failures.append(Failure(key, reason))

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def failures(self) -> tuple[Failure, ...]:
        with self._lock:
            return tuple(sorted(self._failures, key=lambda f: f.key))


@dataclass(frozen=True)
class Report:
    """The summary of one run (schema in docs/backfill.md)."""

    command: str
    counts: Mapping[str, int]
    failures: tuple[Failure, ...] = ()
    malformed: tuple[InputProblem, ...] = ()
    duplicates: int = 0
    shard: str = "1/1"
    requests: int = 0
    retries: Mapping[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0
    adoptions: tuple[Adoption, ...] = ()
    dry_run: bool = False  # nothing written: the counts say what a run would do

    @property
    def ok(self) -> bool:
        """No item failed and no input line was malformed."""
        return not self.failures and not self.malformed

    @property
    def rate(self) -> float:
        """Requests per second achieved over the whole run."""
        return self.requests / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "command": self.command,
            "ok": self.ok,
            "dry_run": self.dry_run,
            "counts": dict(self.counts),
            "failures": [{"key": f.key, "reason": f.reason} for f in self.failures],
            "malformed": [{"line": p.line, "message": p.message} for p in self.malformed],
            "duplicates": self.duplicates,
            "shard": self.shard,
            "requests": self.requests,
            "retries": dict(self.retries),
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "requests_per_second": round(self.rate, 2),
            "adoptions": [
                {"entity_id": a.entity_id, "customer_id": a.customer_id, "by": a.by}
                for a in self.adoptions
            ],
        }

    def render_text(self, source: str = "input") -> str:
        """The summary for people: counts on one line, then each failure and problem."""
        counts = ", ".join(f"{name} {value}" for name, value in self.counts.items())
        retried = sum(self.retries.values())
        command = f"{self.command} (dry run, nothing written)" if self.dry_run else self.command
        lines = [
            f"{command}: {counts}",
            f"{self.requests} Stripe requests in {self.elapsed_seconds:.1f}s "
            f"({self.rate:.1f}/s), {retried} retried"
            + (f", shard {self.shard}" if self.shard != "1/1" else ""),
        ]
        if self.duplicates:
            lines.append(f"{self.duplicates} duplicate line(s) counted once")
        verb = "to adopt" if self.dry_run else "adopted"
        lines += [
            f"{verb}: {a.entity_id} -> {a.customer_id} (by {a.by})"
            for a in self.adoptions[:SHOWN_ADOPTIONS]
        ]
        if len(self.adoptions) > SHOWN_ADOPTIONS:
            lines.append(
                f"... and {len(self.adoptions) - SHOWN_ADOPTIONS} more (the JSON report "
                "lists every one)"
            )
        lines += [f"malformed: {p.format(source)}" for p in self.malformed]
        lines += [f"failed: {f.key}: {f.reason}" for f in self.failures]
        return "\n".join(lines)
