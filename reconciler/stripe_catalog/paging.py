"""Paging through a list endpoint: the ground floor every reader of the catalog stands on.

Every list is read 100 objects a call until Stripe says `has_more` is false, never one call per
object. `read.py` (products, prices), `read_objects.py` (account-level objects),
`subscriptions.py` and `write.py` all page through here, so none of them imports another.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from reconciler.retry import RetryPolicy, call_with_retry

PAGE_SIZE = 100

# Runs one page's request: plain, or retried (and paced) by the caller.
PageCall = Callable[[Callable[[], Any]], Any]
# Told what a long read has done so far ("read 300 products"); the CLI prints it on stderr.
Progress = Callable[[str], None]


def _once(fetch: Callable[[], Any]) -> Any:
    return fetch()


def no_progress(message: str) -> None:
    """The default `Progress`: nothing is shown."""


def list_all(
    lister: Any, params: dict[str, Any], call: PageCall = _once
) -> Iterator[dict[str, Any]]:
    """Every object of a list endpoint (`client.v1.prices`, ...) as plain dicts, one request
    per page of 100, until `has_more` is false. `call` runs each page's request: pass a
    retrying (and pacing) caller such as `lambda fetch: call_with_retry(fetch, policy)`."""
    cursor: str | None = None
    while True:
        page_params = {**params, "limit": PAGE_SIZE}
        if cursor:
            page_params["starting_after"] = cursor
        page = call(functools.partial(lister.list, params=page_params))
        data = [item.to_dict() for item in page.data]
        yield from data
        if not page.has_more or not data:
            return
        cursor = str(data[-1]["id"])


# Called before each request of a paced read: blocks until the rate limit allows it.
Pace = Callable[[], None]


def page_caller(policy: RetryPolicy | None, pace: Pace | None = None) -> PageCall:
    """How each page is fetched: retried by `policy` (None: once), each attempt after
    `pace()` (a rate limiter's `acquire`) when given."""
    if policy is not None:
        return lambda fetch: call_with_retry(fetch, policy, before=pace)
    if pace is None:
        return _once
    wait: Pace = pace

    def paced(fetch: Callable[[], Any]) -> Any:
        wait()
        return fetch()

    return paced
