"""`sync --all`: refresh the cached subscription of every mapped customer from one paged pass
over `subscriptions.list(status=all)`, 100 per request, so the number of requests grows with
N / 100, not N (plus one pass over the products, to know the add-ons).

Subscriptions are grouped by customer; each customer that is its entity's current customer in
the store gets the subscription the runtime's rule picks
(`reconciler.runtime.subscriptions.governing`) in the runtime's cached shape (`summarize`),
written under the runtime's sync lock and only when it differs from the cache. Customers the
store does not map, or whose entity now maps to another customer, are counted as `unmapped`
and left alone (`reconciler sync --customer ID` adopts one by its metadata). Canceled
subscriptions are listed too (status=all), so a customer whose last subscription ended is
refreshed to it; a customer who never had a subscription is not listed and keeps what the
runtime reads for no cache entry, `{"status": "none"}`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import stripe

from reconciler.backfill.calls import ApiCaller
from reconciler.backfill.report import Report, Tally
from reconciler.backfill.shard import Shard
from reconciler.errors import ReconcilerError
from reconciler.metadata import ADD_ON_KEY
from reconciler.runtime.store.base import Store, held
from reconciler.runtime.subscriptions import AddOn, add_on_products, summarize
from reconciler.stripe_client import stripe_errors

OUTCOMES = ("updated", "unchanged", "unmapped", "other_shard", "failed")
LIST_PARAMS: dict[str, Any] = {"status": "all", "expand": ["data.default_payment_method"]}

Advance = Callable[[int], None]


def sync_lock(customer_id: str) -> str:
    """The lock the runtime's `Billing.sync` takes for the same customer."""
    return f"lock:sync:{customer_id}"


def subscriptions_by_customer(
    client: stripe.StripeClient, caller: ApiCaller, advance: Advance = lambda _: None
) -> dict[str, list[dict[str, Any]]]:
    """Every subscription of the account (any status, payment method expanded), grouped by
    customer id; `advance(1)` per subscription read."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    with stripe_errors("listing subscriptions"):
        listed = caller.list_all(
            client.v1.subscriptions, dict(LIST_PARAMS), "GET /v1/subscriptions"
        )
        for subscription in listed:
            customer = subscription.get("customer")
            customer_id = customer.get("id") if isinstance(customer, Mapping) else customer
            grouped.setdefault(str(customer_id), []).append(subscription)
            advance(1)
    return grouped


def add_on_test(client: stripe.StripeClient, caller: ApiCaller) -> AddOn:
    """Which subscription items are add-ons: those of the products marked `add-on` (one
    paged pass over the products, 100 per request)."""
    with stripe_errors("listing products"):
        products = caller.list_all(client.v1.products, {}, "GET /v1/products")
        marked = {
            str(p["id"]) for p in products if (p.get("metadata") or {}).get(ADD_ON_KEY) == "true"
        }
    return add_on_products(marked)


def _refresh_one(
    store: Store,
    shard: Shard,
    customer_id: str,
    subscriptions: Sequence[Mapping[str, Any]],
    add_on: AddOn,
) -> str:
    entity = store.entity_for_customer(customer_id)
    if entity is None:
        return "unmapped"
    if not shard.owns(entity):
        return "other_shard"
    record = store.get_record(entity)
    if record.customer_id != customer_id:
        # The entity now maps to another customer: this one's subscriptions are not its own.
        return "unmapped"
    chosen = summarize(subscriptions, add_on)
    if record.subscription == chosen:
        return "unchanged"
    with held(store, sync_lock(customer_id)):
        store.set_subscription(entity, chosen)
    return "updated"


def sync_all(
    client: stripe.StripeClient,
    store: Store,
    caller: ApiCaller,
    shard: Shard,
    concurrency: int,
    listed: Advance = lambda _: None,
    written: Advance = lambda _: None,
) -> tuple[Tally, int]:
    """Refresh every mapped customer's cache (see the module docstring); returns the tally by
    customer and the number of subscriptions read. Raises `StripeCallError` when the list
    cannot be read to the end (a partial list would cache wrong answers)."""
    add_on = add_on_test(client, caller)
    grouped = subscriptions_by_customer(client, caller, listed)
    tally = Tally(OUTCOMES)

    def work(item: tuple[str, list[dict[str, Any]]]) -> None:
        customer_id, subscriptions = item
        try:
            tally.add(_refresh_one(store, shard, customer_id, subscriptions, add_on))
        except ReconcilerError as exc:
            tally.fail(customer_id, str(exc))
        written(1)

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="sync") as pool:
        list(pool.map(work, sorted(grouped.items())))
    return tally, sum(len(subs) for subs in grouped.values())


def run_sync_all(
    client: stripe.StripeClient,
    store: Store,
    caller: ApiCaller,
    shard: Shard,
    concurrency: int,
    listed: Advance = lambda _: None,
    written: Advance = lambda _: None,
) -> Report:
    """`sync_all` summarized as a `Report` (counts by customer, plus `subscriptions` read)."""
    started = time.monotonic()
    tally, read = sync_all(client, store, caller, shard, concurrency, listed, written)
    calls = caller.snapshot()
    return Report(
        command="sync --all",
        counts={**tally.counts(), "subscriptions": read},
        failures=tally.failures(),
        shard=str(shard),
        requests=calls["requests"],
        retries=calls["retries"],
        elapsed_seconds=time.monotonic() - started,
    )
