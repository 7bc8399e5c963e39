"""Splitting work between workers: `--shard i/n` keeps the entities whose stable hash falls
in bucket i (1-based), so n workers given the same input cover it exactly once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from reconciler.errors import ReconcilerError


class InvalidShard(ReconcilerError):
    """A `--shard` value that is not `i/n` with 1 <= i <= n."""


@dataclass(frozen=True)
class Shard:
    """Bucket `index` (1-based) of `count`."""

    index: int = 1
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`"2/4"` -> Shard(2, 4)."""
        left, slash, right = text.strip().partition("/")
        try:
            index, count = int(left), int(right)
        except ValueError:
            index = count = 0
        if not slash or count < 1 or not 1 <= index <= count:
            raise InvalidShard(f"--shard must be i/n with 1 <= i <= n (like 1/4), got {text!r}")
        return cls(index, count)

    def owns(self, entity_id: str) -> bool:
        """True when this shard handles `entity_id`. The hash (SHA-256) is the same on every
        machine and Python run, unlike `hash()`."""
        if self.count == 1:
            return True
        digest = hashlib.sha256(entity_id.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
