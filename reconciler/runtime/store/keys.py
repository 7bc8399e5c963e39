"""The one place that knows the store's key layout (version 1), for Redis and SQLite alike.

Every key starts with `reconciler:v1:`; a new layout gets a new version prefix, so two
releases never read each other's values by mistake.

- `reconciler:v1:{<entity>}:entity`: a Redis hash, `customer` -> Stripe customer id and
  `subscription` -> the cached subscription as JSON; kept.
- `reconciler:v1:{<entity>}:usage:<counter>:<period start>`: the integer used in that billing
  period; expires a day after the period ends.
- `reconciler:v1:{<entity>}:usage-ops:<counter>:<period start>`: op id -> total, one field per
  applied `consume`; lives as long as the counter.
- `reconciler:v1:customer:<customer id>`: the entity id owning that customer; kept.
- `reconciler:v1:claim:<name>`: a claim token (locks, processed webhook events); the claim's TTL.
- `reconciler:v1:catalog`: the live catalog cache (JSON); replaced on each refresh.
- `reconciler:v1:records-version` (SQLite only): a counter bumped by every write of an entity
  record, which tells each process when its in-process record cache is stale.
- `reconciler:v1:{<entity>}:meters`: the entity's meter outbox (see `meters_key`); kept.
- `reconciler:v1:{s<n>}:meter-outbox`: the index of the meter outbox, one set per Redis
  Cluster hash slot: the entities of that slot with usage not yet sent. `s<n>` is a hash
  tag chosen to hash to the slot itself, so the counting step adds the entity to it
  atomically on a cluster too. `reconciler:v1:meter-outbox` is the index of layout v1
  before it was split by slot; it is only read (and emptied) any more.
- `reconciler:v1:{queue:<name>}:due|versions|seq|leases`: a work queue (items by due time, each
  item's version, the version counter, taken items' lease ends); SQLite keeps items in a
  `queue` table and lease ends as rows of the `leases` hash.

The `{<entity>}` part is a Redis Cluster hash tag: every key of one entity lands in one hash
slot, so the usage script and the one-round-trip entitlement read work on a cluster. Entity
ids are escaped (`%`, `{`, `}` -> `%25`, `%7B`, `%7D`) so an id cannot break the tag.
In SQLite the hash becomes two rows, `<entity key>#customer` and `<entity key>#subscription`.
"""

from __future__ import annotations

import binascii
import functools

VERSION = "v1"
PREFIX = f"reconciler:{VERSION}:"

CUSTOMER_FIELD = "customer"
SUBSCRIPTION_FIELD = "subscription"
CATALOG_KEY = PREFIX + "catalog"
RECORDS_VERSION_KEY = PREFIX + "records-version"

# Counters outlive their period by a day, so a request racing the rollover still finds them.
USAGE_GRACE_SECONDS = 86_400


def _escape(part: str) -> str:
    if not part:
        raise ValueError("an entity id, customer id or counter name must not be empty")
    return part.replace("%", "%25").replace("{", "%7B").replace("}", "%7D")


def entity_tag(entity_id: str) -> str:
    """The hash-tagged prefix shared by every key of one entity."""
    return f"{PREFIX}{{{_escape(entity_id)}}}"


@functools.lru_cache(maxsize=100_000)
def entity_key(entity_id: str) -> str:
    """The entity's record: its customer id and cached subscription (memoized: it is on the
    path of every entitlement check)."""
    return entity_tag(entity_id) + ":entity"


def usage_key(entity_id: str, counter: str, period_start: int) -> str:
    """One counter of one entity for the billing period that starts at `period_start`."""
    return f"{entity_tag(entity_id)}:usage:{_escape(counter)}:{period_start}"


def meters_key(entity_id: str) -> str:
    """The entity's meter outbox (a hash): per meter `pending:<m>` (consumed, not yet taken
    for sending), `batch:<m>` (taken and being sent: `seq|value|timestamp|owner|lease until
    ms`), `seq:<m>`, and the totals `consumed:<m>` and `flushed:<m>`; kept."""
    return entity_tag(entity_id) + ":meters"


# The single-node index of pending meter outboxes from before the index was split by hash
# slot: read and emptied by the flusher, written by nothing (and the SQLite store's index).
METER_OUTBOX_KEY = PREFIX + "meter-outbox"

# Redis Cluster's hash slots: a key's slot is CRC16 (XMODEM) of its hash tag, mod 16384.
SLOTS = 16384


def key_slot(tag: str) -> int:
    """The hash slot of a key whose hash tag is `tag` (Redis Cluster's CRC16 mod 16384)."""
    return binascii.crc_hqx(tag.encode(), 0) % SLOTS


@functools.lru_cache(maxsize=1)
def slot_tags() -> tuple[str, ...]:
    """For each hash slot, the first tag `s<n>` that hashes to it (built once, ~0.1 s)."""
    found: dict[int, str] = {}
    n = 0
    while len(found) < SLOTS:
        tag = f"s{n}"
        found.setdefault(key_slot(tag), tag)
        n += 1
    return tuple(found[slot] for slot in range(SLOTS))


# A meter index set's name around its hash tag (the sweep script builds names from them).
METER_INDEX_AROUND = (PREFIX + "{", "}:meter-outbox")


def meter_index_key(slot: int) -> str:
    """The index of the meter outboxes of one hash slot: the set of that slot's entities
    whose outbox holds usage not yet sent."""
    before, after = METER_INDEX_AROUND
    return before + slot_tags()[slot] + after


@functools.lru_cache(maxsize=1)
def meter_index_keys() -> tuple[str, ...]:
    """Every slot's meter index set, in slot order (built once; read by one server's sweep)."""
    return tuple(meter_index_key(slot) for slot in range(SLOTS))


@functools.lru_cache(maxsize=100_000)
def entity_meter_index_key(entity_id: str) -> str:
    """The meter index set in the entity's own hash slot (memoized: on the path of every
    metered `consume`)."""
    return meter_index_key(key_slot(_escape(entity_id)))


def usage_ops_key(entity_id: str, counter: str, period_start: int) -> str:
    """The operation ids applied to one counter in one period (a hash: op id -> the total
    that operation returned), so a retried `consume` is applied at most once; it lives as
    long as the counter."""
    return f"{entity_tag(entity_id)}:usage-ops:{_escape(counter)}:{period_start}"


def customer_key(customer_id: str) -> str:
    """Reverse mapping: Stripe customer id -> entity id (used by `sync` and webhooks)."""
    return f"{PREFIX}customer:{_escape(customer_id)}"


def claim_key(name: str) -> str:
    """A claim or lock: `lock:customer:<entity>`, `event:<event id>`, ..."""
    return f"{PREFIX}claim:{_escape(name)}"


def field_row(key: str, field: str) -> str:
    """SQLite has no hashes: a hash field is stored as its own row."""
    return f"{key}#{field}"


def queue_keys(name: str) -> tuple[str, str, str, str]:
    """A work queue: due times (a sorted set), item -> version (a hash), the version counter
    and item -> lease end of each taken item (a hash). One hash tag, so the queue's scripts
    run on one cluster node."""
    tag = f"{PREFIX}{{queue:{_escape(name)}}}"
    return tag + ":due", tag + ":versions", tag + ":seq", tag + ":leases"


def rate_key(name: str) -> str:
    """A shared rate limiter's state (GCRA theoretical arrival time, microseconds): kept
    only as long as the limiter is in use."""
    return f"{PREFIX}rate:{_escape(name)}"
