"""Runtime stores: the `Store` protocol, its Redis and SQLite implementations, the key layout."""

from reconciler.runtime.store.base import EntityRecord, Store, held
from reconciler.runtime.store.factory import open_store, record_cache_enabled

__all__ = ["EntityRecord", "Store", "held", "open_store", "record_cache_enabled"]
