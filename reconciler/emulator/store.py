"""Ordered object collections with O(1) cursors, plus ids and the emulator clock.

Stripe lists newest first and pages with `starting_after` / `ending_before`.
Each collection keeps insertion order in a list and each id's position in a
dict, so a cursor jumps straight to its place instead of scanning.
"""

from __future__ import annotations

import copy
import random
import secrets
import string
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_ALPHABET = string.ascii_letters + string.digits
_FAST = random.Random(secrets.randbits(64))
# Random bytes -> id characters in one C call: byte b becomes _ALPHABET[b % 62] (the first
# eight characters are a little more likely, which costs ids nothing: they need only be unique).
_ID_CHARACTERS = bytes(ord(_ALPHABET[b % len(_ALPHABET)]) for b in range(256))

StripeObject = dict[str, Any]
Predicate = Callable[[StripeObject], bool]


def new_id(prefix: str, length: int = 24) -> str:
    """A random id with Stripe's prefix, e.g. `prod_` + 14 characters.

    Ids only need to be unique, not unguessable, so the fast generator is used;
    secrets (webhook signing keys) come from `new_secret`.
    """
    return prefix + _FAST.randbytes(length).translate(_ID_CHARACTERS).decode()


def new_secret(prefix: str, length: int = 32) -> str:
    """An unguessable token with a prefix, e.g. a `whsec_` signing secret."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


@contextmanager
def rollback(
    obj: StripeObject, snapshot: Callable[[StripeObject], StripeObject] = copy.deepcopy
) -> Iterator[None]:
    """Undo changes to `obj` if the block raises: a failed request leaves no trace."""
    before = snapshot(obj)
    try:
        yield
    except Exception:
        obj.clear()
        obj.update(before)
        raise


class Clock:
    """Emulator time: real time plus an offset that `/_emulator/clock/advance` grows."""

    def __init__(self) -> None:
        self.offset = 0

    def now(self) -> int:
        return int(time.time()) + self.offset

    def advance(self, seconds: int) -> int:
        self.offset += seconds
        return self.now()


class Collection:
    """One resource's objects by id, remembering the order they were created in; with
    `index_by`, also by the value of that field, which must never change (a subscription's
    customer)."""

    def __init__(self, index_by: str | None = None) -> None:
        self._objects: dict[str, StripeObject] = {}
        self._order: list[str | None] = []
        self._position: dict[str, int] = {}
        self._index_by = index_by
        self._index: dict[Any, list[str]] = {}

    def __len__(self) -> int:
        return len(self._objects)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._objects

    def get(self, object_id: str) -> StripeObject | None:
        return self._objects.get(object_id)

    def add(self, obj: StripeObject) -> StripeObject:
        object_id = obj["id"]
        self._objects[object_id] = obj
        self._position[object_id] = len(self._order)
        self._order.append(object_id)
        if self._index_by is not None:
            self._index.setdefault(obj.get(self._index_by), []).append(object_id)
        return obj

    def remove(self, object_id: str) -> None:
        # A tombstone keeps every other id's position valid.
        obj = self._objects.pop(object_id)
        self._order[self._position.pop(object_id)] = None
        if self._index_by is not None:
            self._index[obj.get(self._index_by)].remove(object_id)

    def having(self, value: Any) -> list[StripeObject]:
        """The objects whose `index_by` field holds `value`, oldest first."""
        return [self._objects[object_id] for object_id in self._index.get(value, ())]

    def values(self) -> Iterator[StripeObject]:
        """Oldest first."""
        for object_id in self._order:
            if object_id is not None:
                yield self._objects[object_id]

    def newest_first(self) -> Iterator[StripeObject]:
        return self._walk(len(self._order) - 1, -1)

    def _walk(self, start: int, step: int) -> Iterator[StripeObject]:
        index = start
        while 0 <= index < len(self._order):
            object_id = self._order[index]
            if object_id is not None:
                yield self._objects[object_id]
            index += step

    def position(self, object_id: str) -> int | None:
        return self._position.get(object_id)

    def page(
        self,
        predicate: Predicate,
        limit: int,
        starting_after: str | None = None,
        ending_before: str | None = None,
    ) -> tuple[list[StripeObject], bool]:
        """One page, newest first, and whether more match beyond it."""
        if ending_before is not None:
            # Objects newer than the cursor, nearest first, then shown newest first.
            start = self._position[ending_before] + 1
            found = self._take(self._walk(start, 1), predicate, limit + 1)
            has_more = len(found) > limit
            return list(reversed(found[:limit])), has_more
        start = len(self._order) - 1
        if starting_after is not None:
            start = self._position[starting_after] - 1
        found = self._take(self._walk(start, -1), predicate, limit + 1)
        return found[:limit], len(found) > limit

    @staticmethod
    def _take(
        objects: Iterator[StripeObject], predicate: Predicate, count: int
    ) -> list[StripeObject]:
        found: list[StripeObject] = []
        for obj in objects:
            if predicate(obj):
                found.append(obj)
                if len(found) == count:
                    break
        return found

    def dump(self) -> list[StripeObject]:
        return list(self.values())

    def load(self, objects: list[StripeObject]) -> None:
        for obj in objects:
            self.add(obj)
