"""The embedded store: one SQLite file (WAL mode), for a single machine with no Redis server,
put together from its parts:

- `sqlite_file.py`: the schema, a connection per thread, write transactions, row steps;
- `sqlite_records.py`: entity records (customer mapping, cached subscription), kept in the
  process's record cache, emptied when the file's records version moves;
- `sqlite_usage.py`: usage counters and the meter outbox;
- `sqlite_coordination.py`: claims, the rate limiter, the work queue, the catalog cache.

Several threads and processes may share the file: each thread has its own connection, and
every read-modify-write (`claim`, `consume`) runs in one `BEGIN IMMEDIATE` transaction, which
takes SQLite's write lock before reading, so two writers can never both pass a check.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.runtime.store.record_cache import DEFAULT_MAX_ENTRIES, RecordCache
from reconciler.runtime.store.sqlite_coordination import SqliteCoordination
from reconciler.runtime.store.sqlite_file import BUSY_TIMEOUT_MS
from reconciler.runtime.store.sqlite_records import SqliteRecords
from reconciler.runtime.store.sqlite_usage import SqliteUsage

__all__ = ["BUSY_TIMEOUT_MS", "DEFAULT_PATH", "SqliteStore"]

DEFAULT_PATH = Path(".reconciler") / "store.sqlite3"


class SqliteStore(SqliteRecords, SqliteUsage, SqliteCoordination):
    """The runtime store in a SQLite file; safe across threads and processes."""

    def __init__(
        self,
        path: str | Path = DEFAULT_PATH,
        record_cache: bool = True,
        cache_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self.record_cache = RecordCache(cache_entries)
        self._use_cache = record_cache
        self._cached_version = None
        super().__init__(Path(path))
