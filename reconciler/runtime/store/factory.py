"""Pick the store from a URL: Redis when REDIS_URL is set, else the embedded SQLite file."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.runtime.store.base import Store
from reconciler.runtime.store.sqlite_store import DEFAULT_PATH, SqliteStore

REDIS_SCHEMES = ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster")


def open_store(url: str | None) -> Store:
    """A store for `url`:

    - empty or None: the SQLite file `.reconciler/store.sqlite3` under the working directory;
    - `sqlite:///absolute/path.sqlite3` or `sqlite:relative/path.sqlite3`: that SQLite file;
    - `redis://`, `rediss://`, `unix://`: one Redis server;
    - `redis+cluster://host:port` or `rediss+cluster://`: Redis Cluster (any node as seed).
    """
    text = (url or "").strip()
    if not text:
        return SqliteStore(DEFAULT_PATH)
    scheme = text.split(":", 1)[0].lower()
    if scheme == "sqlite":
        rest = text[len("sqlite:") :]
        path = rest[2:] if rest.startswith("//") else rest
        if not path:
            raise ReconcilerError("a sqlite: store URL needs a file path (sqlite:///path)")
        return SqliteStore(Path(path))
    if scheme in REDIS_SCHEMES:
        # Imported here so the embedded store works without loading redis-py.
        from reconciler.runtime.store.redis_store import RedisStore

        return RedisStore(text)
    raise ReconcilerError(
        f"unsupported store URL scheme {scheme!r} (use redis://, rediss://, "
        "redis+cluster://, sqlite:///path, or leave REDIS_URL empty for the embedded store)"
    )
