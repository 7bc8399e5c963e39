"""Process-local state that a child made by `fork()` must renew before it uses a store.

A forked child (gunicorn `--preload` workers, multiprocessing's "fork" context, celery
prefork) starts with a copy of the parent's memory but only the thread that forked: the
record cache's contents, the invalidation listener's state (its thread is gone), locks some
other thread held at that instant (held forever in the child), and descriptors of sockets
and database files the parent still uses. Objects holding such state join here, and one
`os.register_at_fork` hook renews them in the child before anything else runs in it.

One hook walking a weak set, rather than a hook per object: a registered hook can never be
removed, so a hook per store would keep each store alive (or, holding a weak reference,
still pile up one dead hook per store ever made); a weak set lets stores be collected.
"""

from __future__ import annotations

import os
import weakref
from typing import Protocol


class RenewedAfterFork(Protocol):
    def after_fork_in_child(self) -> None:
        """Drop or replace what the parent owns; runs in the child, single-threaded."""


_objects: weakref.WeakSet[RenewedAfterFork] = weakref.WeakSet()


def renew_after_fork(obj: RenewedAfterFork) -> None:
    """Have `obj.after_fork_in_child()` run in every child forked from now on (for as long
    as `obj` lives)."""
    _objects.add(obj)


def _renew_all() -> None:
    for obj in list(_objects):
        obj.after_fork_in_child()


os.register_at_fork(after_in_child=_renew_all)
