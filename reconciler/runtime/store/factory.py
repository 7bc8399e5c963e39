"""Pick the store from a URL: Redis when REDIS_URL is set, else the embedded SQLite file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.runtime.store.base import Store
from reconciler.runtime.store.sqlite_store import DEFAULT_PATH, SqliteStore

REDIS_SCHEMES = ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster")


CACHE_SWITCH = "RECONCILER_RECORD_CACHE"


def record_cache_enabled(environ: Mapping[str, str]) -> bool:
    """False when RECONCILER_RECORD_CACHE is `off`, `0`, `false` or `no` (default: on)."""
    return environ.get(CACHE_SWITCH, "").strip().lower() not in {"off", "0", "false", "no"}


def open_store(url: str | None, record_cache: bool = True) -> Store:
    """A store for `url`, keeping entity records in an in-process cache unless
    `record_cache` is False (on Redis Cluster too, kept true by every node):

    - empty or None: the SQLite file `.reconciler/store.sqlite3` under the working directory;
    - `sqlite:///absolute/path.sqlite3` or `sqlite:relative/path.sqlite3`: that SQLite file;
    - `redis://`, `rediss://`, `unix://`: one Redis server;
    - `redis+cluster://host:port` or `rediss+cluster://`: Redis Cluster (any node as seed).
    """
    text = (url or "").strip()
    if not text:
        return SqliteStore(DEFAULT_PATH, record_cache)
    scheme = text.split(":", 1)[0].lower()
    if scheme == "sqlite":
        rest = text[len("sqlite:") :]
        path = rest[2:] if rest.startswith("//") else rest
        if not path:
            raise ReconcilerError("a sqlite: store URL needs a file path (sqlite:///path)")
        # `sqlite:///` + an absolute path gives four slashes; POSIX would keep two of them.
        target = Path("/" + path.lstrip("/") if path.startswith("/") else path)
        if not target.parent.is_dir():
            # A typo must not quietly create folders (at the filesystem root, even).
            raise ReconcilerError(
                f"the SQLite store {target} cannot be opened: its folder {target.parent} does "
                "not exist (create the folder, or fix REDIS_URL)"
            )
        return SqliteStore(target, record_cache)
    if scheme in REDIS_SCHEMES:
        # Imported here so the embedded store works without loading redis-py.
        from reconciler.runtime.store.redis_store import RedisStore

        return RedisStore(text, record_cache=record_cache)
    raise ReconcilerError(
        f"unsupported store URL scheme {scheme!r} (use redis://, rediss://, "
        "redis+cluster://, sqlite:///path, or leave REDIS_URL empty for the embedded store)"
    )
