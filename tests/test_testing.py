"""The test helpers themselves: a private redis-server is recognised by its process id, so a
port taken by another session's server is never mistaken for ours."""

from __future__ import annotations

import redis

from reconciler.testing import _answers_as, free_port


def test_a_server_is_ours_only_with_our_process_id(redis_url: str) -> None:
    pid = int(redis.Redis.from_url(redis_url).info("server")["process_id"])
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    assert _answers_as(port, pid) is True
    assert _answers_as(port, pid + 1) is False
    assert _answers_as(free_port(), pid) is False
