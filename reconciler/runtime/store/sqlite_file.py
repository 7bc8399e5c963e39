"""The embedded store's SQLite file: its schema, a connection per thread (WAL mode), write
transactions that hold the write lock from their first read, and the key-value row steps the
store's parts share (`sqlite_records.py`, `sqlite_usage.py`, `sqlite_coordination.py`).

Keys are the same strings as in Redis (`keys.py`); a Redis hash field is a row of its own.
A row with `expires_at` in the past reads as absent (`LIVE`) and is swept when a store opens.

A child made by `fork()` never uses the parent's connections: it closes its copies of them
(`after_fork_in_child`) and each of its threads opens its own.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

from reconciler.errors import OutcomeUnknown, StoreUnavailable
from reconciler.runtime.store.after_fork import renew_after_fork

BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at REAL
) WITHOUT ROWID
"""
_QUEUE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS queue (name TEXT NOT NULL, item TEXT NOT NULL, "
    "due REAL NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (name, item)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS queue_due ON queue (name, due)",
)
# The condition of a row that has not expired; its parameter is the current time.
LIVE = "(expires_at IS NULL OR expires_at > ?)"

T = TypeVar("T")


class SqliteFile:
    """One SQLite file shared by threads (a connection each) and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"SQLite store at {self.path}"
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # id(connection) -> calls under way on it; a forked child leaves those connections be
        self._in_call: dict[int, int] = {}
        self._left_in_parent: list[sqlite3.Connection] = []
        renew_after_fork(self)
        try:
            # One level only (the default `.reconciler/`): never a whole missing tree.
            self.path.parent.mkdir(exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"{self.description} cannot be created: {exc}") from exc
        with self._errors():
            conn = self._conn()
            conn.execute(_SCHEMA)
            for statement in _QUEUE_SCHEMA:
                conn.execute(statement)
            # Counters and claims expire; sweep what earlier runs left behind.
            conn.execute(
                "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (time.time(),)
            )

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, counted as in use while the block runs."""
        conn = self._conn()
        key, calls = id(conn), self._in_call
        calls[key] = calls.get(key, 0) + 1  # only this thread touches its connection's key
        try:
            yield conn
        finally:
            if calls[key] == 1:
                del calls[key]
            else:
                calls[key] -= 1

    def after_fork_in_child(self) -> None:
        """In a forked child: never use a connection opened before the fork
        (https://www.sqlite.org/howtocorrupt.html, "Carrying an open database connection
        across a fork()"), and close the copies, so that SQLite's per-process record of the
        file's locks, copied from the parent, does not mislead the connections the child
        opens. SQLite's own `test/fork-test.c` states the child may `sqlite3_close` them
        "as long as there were no pending write transactions when the fork() occurred":
        every transaction here runs inside `_using`, so a connection no thread was inside
        has none. One a thread was inside is left untouched (it may be mid-write, and its
        mutex stays held in the child). The child's threads then open their own."""
        inherited, busy = self._connections, set(self._in_call)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections = []
        self._in_call = {}
        for conn in inherited:
            if id(conn) in busy:
                self._left_in_parent.append(conn)  # collecting it would close it
                continue
            with suppress(sqlite3.Error):
                conn.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"{self.description} failed: {exc}") from exc

    @contextmanager
    def _write(self, op_id: str | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction, holding the database's write lock from its first read.
        With `op_id`, a COMMIT that fails and leaves no transaction to roll back raises
        `OutcomeUnknown`: SQLite may have made it durable before reporting the error."""
        with self._errors(), self._using() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:  # still open: rolled back here, so not applied
                    conn.execute("ROLLBACK")
                    raise
                if op_id is None:
                    raise
                raise OutcomeUnknown(
                    f"{self.description} failed to commit a consume ({exc}); it may have "
                    f"been applied: retry with op_id={op_id!r}",
                    op_id,
                ) from exc

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._errors(), self._using() as conn:
            return fn(conn)

    def _get(self, key: str) -> str | None:
        def run(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                f"SELECT value FROM kv WHERE key = ? AND {LIVE}", (key, time.time())
            ).fetchone()
            return None if row is None else str(row[0])

        return self._read(run)

    def _put(
        self, conn: sqlite3.Connection, key: str, value: str, expires_at: float | None
    ) -> None:
        conn.execute(
            "INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
            "SET value = excluded.value, expires_at = excluded.expires_at",
            (key, value, expires_at),
        )

    def _set(self, key: str, value: str) -> None:
        with self._write() as conn:
            self._put(conn, key, value, None)

    def _add(self, conn: sqlite3.Connection, row: str, amount: int) -> None:
        conn.execute(
            "INSERT INTO kv (key, value, expires_at) VALUES (?, ?, NULL) ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + ?",
            (row, str(amount), amount),
        )

    def ping(self) -> None:
        self._read(lambda conn: conn.execute("SELECT 1").fetchone())

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
